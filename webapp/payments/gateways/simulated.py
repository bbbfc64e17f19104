"""The test gateway: a simulated payment page on our own site whose "pay" and "fail" buttons send a
signed notification through the same path as a real gateway's. Offered only when the installation
allows it (ROLLCALL_TEST_GATEWAY) and an organization enables it."""

from __future__ import annotations

import hashlib
import hmac
import json

from webapp.i18n import _l
from webapp.payments.gateways.base import Checkout, Credentials, Gateway, NotificationRejected, Report, Urls
from webapp.runtime import settings

SIGNATURE_HEADER = "X-Rollcall-Signature"


def signing_key(org_id: int) -> bytes:
    return hmac.new(
        settings().secret_key.encode(), f"rollcall.payments.test.{org_id}".encode(), hashlib.sha256
    ).digest()


def sign(body: bytes, org_id: int) -> str:
    return hmac.new(signing_key(org_id), body, hashlib.sha256).hexdigest()


class TestGateway(Gateway):
    __test__ = False  # not a pytest test class
    name = "test"
    label = _l("Test payment (simulated, no money moves)")
    brand = "Test gateway"
    position = 90
    has_modes = False
    follows_order = True
    setup_help = _l("For demos and rehearsals: attendees choose pay or fail on a simulated page.")

    def is_offered(self) -> bool:
        return settings().test_gateway

    def is_ready(self, org_id: int, credentials: Credentials | None) -> bool:
        return True

    def create(self, payment, order, credentials: Credentials, urls: Urls) -> Checkout:
        return Checkout(redirect_url=urls.pay_page, external_id=f"sim-{payment.reference}")

    def notification(self, payment, result: str) -> tuple[bytes, dict[str, str]]:
        """The notification the simulated page sends when the attendee presses `result`."""
        body = json.dumps(
            {
                "reference": payment.reference,
                "result": result,
                "amount": payment.amount,
                "currency": payment.currency,
            },
            sort_keys=True,
        ).encode()
        return body, {SIGNATURE_HEADER: sign(body, payment.organization_id), "Content-Type": "application/json"}

    def read_notification(self, body: bytes, headers: dict[str, str], credentials: Credentials) -> Report:
        if not hmac.compare_digest(sign(body, credentials.org_id), headers.get(SIGNATURE_HEADER, "")):
            raise NotificationRejected("signature does not match", status=401)
        try:
            data = json.loads(body)
            result, reference = data["result"], data["reference"]
        except (ValueError, KeyError, TypeError):
            raise NotificationRejected("the body is not a test notification") from None
        outcome = {"pay": "paid", "fail": "failed"}.get(result)
        if outcome is None:
            raise NotificationRejected(f"unknown result {result!r}")
        return Report(
            outcome=outcome,
            status=result,
            reference=reference,
            amount=data.get("amount"),
            currency=data.get("currency"),
            method="simulated",
        )


gateway = TestGateway()
