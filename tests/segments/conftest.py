import pytest

from tests.factories.accounts import make_org


@pytest.fixture
def org(app):
    return make_org()
