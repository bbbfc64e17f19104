from __future__ import annotations

import pytest

from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event


@pytest.fixture
def org(app):
    return make_org()


@pytest.fixture
def event(org):
    return make_event(org)


@pytest.fixture
def ticket(event):
    return make_product(event, name="Standard")


@pytest.fixture
def door_user(org):
    return make_member(org, "door")


@pytest.fixture
def supervisor(org):
    return make_member(org, "manager")
