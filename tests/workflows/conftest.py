import pytest

from tests.factories.accounts import make_org
from webapp.workflows import triggers


@pytest.fixture
def org(app):
    triggers.forget_cache()
    return make_org()


@pytest.fixture
def mail_org(mail_app):
    triggers.forget_cache()
    return make_org()
