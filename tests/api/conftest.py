from __future__ import annotations

import pytest

from tests.factories.accounts import make_org
from tests.factories.api import ApiClient, make_api_key


@pytest.fixture
def org(app):
    return make_org()


@pytest.fixture
def api(app, client, org):
    """An API client with a read-write key of `org`."""
    _, token = make_api_key(org)
    return ApiClient(client, token)


@pytest.fixture
def other_api(app, client):
    """An API client of another organization."""
    _, token = make_api_key(make_org())
    return ApiClient(client, token)
