from __future__ import annotations

import pytest

from tests.factories.accounts import make_org
from tests.factories.payments import MIDTRANS_KEY, STRIPE_KEY
from tests.payments.fakes import FakeMidtrans, FakeStripe


@pytest.fixture
def org(app):
    return make_org()


@pytest.fixture
def midtrans(app):
    """A local Midtrans (Snap and status API) the real client is pointed at."""
    with FakeMidtrans(MIDTRANS_KEY) as fake:
        app.config["PAYMENT_GATEWAY_URLS"] = {
            **app.config.get("PAYMENT_GATEWAY_URLS", {}),
            "midtrans": {"snap": fake.url, "api": fake.url},
        }
        yield fake


@pytest.fixture
def stripe(app):
    """A local Stripe API (Checkout Sessions) the real client is pointed at."""
    with FakeStripe(STRIPE_KEY) as fake:
        app.config["PAYMENT_GATEWAY_URLS"] = {**app.config.get("PAYMENT_GATEWAY_URLS", {}), "stripe": {"api": fake.url}}
        yield fake
