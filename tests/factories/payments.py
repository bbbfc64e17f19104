from __future__ import annotations

from webapp.accounts.models import Organization
from webapp.orders.models import Order
from webapp.payments import gateway_settings
from webapp.payments.models import GatewaySettings

MIDTRANS_KEY = "SB-Mid-server-T3stK3yAbCdEf1a2b"
STRIPE_KEY = "sk_test_51FakeKeyForTests00000000wxyz"
STRIPE_WEBHOOK_SECRET = "whsec_testSigningSecret0000000000abcd"


def configure_gateway(
    org: Organization, name: str, *, enabled: bool = True, mode: str = "sandbox", **secrets
) -> GatewaySettings:
    """Set a gateway up for `org` as an admin would (test keys by default)."""
    defaults = {
        "midtrans": {"server_key": MIDTRANS_KEY},
        "stripe": {"secret_key": STRIPE_KEY, "webhook_secret": STRIPE_WEBHOOK_SECRET},
    }.get(name, {})
    values = {**defaults, **secrets}
    return gateway_settings.save_gateway(org.id, name, enabled=enabled, mode=mode, new_secrets=values, actor=None)


def configure_bank(org: Organization, **kwargs):
    values = {
        "account_holder": "PT Rollcall Events",
        "bank_name": "Bank Central Asia",
        "account_number": "1234 5678 90",
        "instructions": "Transfers are checked every weekday at 10:00.",
    }
    values.update(kwargs)
    return gateway_settings.save_bank(org.id, actor=None, **values)


def make_pending_order(org: Organization, price: int = 150000, currency: str = "IDR", **kwargs) -> Order:
    """A pending order of one paid ticket in a new event of `org`."""
    from tests.factories.catalog import make_product
    from tests.factories.events import make_event
    from tests.factories.orders import make_order

    event = make_event(org, currency=currency)
    product = make_product(event, price=price, currency=currency)
    return make_order(event, {product: 1}, status="pending", **kwargs)
