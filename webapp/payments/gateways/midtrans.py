"""Midtrans Snap: the attendee pays on Midtrans' hosted page; Midtrans posts an HTTP notification,
which we verify (signature_key) and then confirm with the status API before believing it."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from decimal import Decimal, InvalidOperation
from urllib.parse import quote

from webapp import money
from webapp.db import utcnow
from webapp.i18n import _, _l
from webapp.payments import http
from webapp.payments.gateways.base import (
    Checkout,
    Credentials,
    Gateway,
    GatewayError,
    NotificationRejected,
    Report,
    SecretField,
    Urls,
    service_url,
)

HOSTS = {
    "sandbox": {"snap": "https://app.sandbox.midtrans.com", "api": "https://api.sandbox.midtrans.com"},
    "production": {"snap": "https://app.midtrans.com", "api": "https://api.midtrans.com"},
}
ORDER_ID = re.compile(r"^[A-Za-z0-9\-_~.]{1,50}$")
FAILED = {"deny", "cancel", "expire", "failure"}


def _check_server_key(value: str, mode: str) -> str | None:
    if not re.fullmatch(r"[A-Za-z0-9\-_:]{10,200}", value):
        return "This does not look like a Midtrans server key."
    if mode == "sandbox" and value.startswith("Mid-server-"):
        return "This is a production key; choose production mode or enter the sandbox key (SB-Mid-server-…)."
    if mode == "production" and value.startswith("SB-"):
        return "This is a sandbox key; choose sandbox mode or enter the production key (Mid-server-…)."
    return None


def signature(order_id: str, status_code: str, gross_amount: str, server_key: str) -> str:
    """signature_key as Midtrans computes it: over the strings exactly as they were sent."""
    return hashlib.sha512(f"{order_id}{status_code}{gross_amount}{server_key}".encode()).hexdigest()


def to_minor(gross_amount: str, currency: str) -> int | None:
    """ "100000.00" -> 100000 (IDR); None when it is not a whole number of minor units."""
    try:
        value = Decimal(str(gross_amount)).scaleb(money.exponent(currency))
    except (InvalidOperation, ValueError):
        return None
    return int(value) if value == value.to_integral_value() else None


def outcome_of(transaction_status: str, fraud_status: str) -> str:
    if transaction_status == "settlement":
        return "paid"
    if transaction_status == "capture":
        if fraud_status == "accept":
            return "paid"
        if fraud_status == "deny":
            return "failed"
        return "hold"  # challenge (or no verdict yet): an operator decides in Midtrans' dashboard
    if transaction_status in ("pending", "authorize"):
        return "pending"
    if transaction_status in FAILED:
        return "failed"
    if transaction_status == "refund":
        return "refunded"
    if transaction_status == "partial_refund":
        return "partial_refund"
    return "ignored"


class Midtrans(Gateway):
    name = "midtrans"
    label = _l("Midtrans (bank transfer, e-wallets, QRIS, cards)")
    brand = "Midtrans"
    position = 10
    currencies = frozenset({"IDR"})
    secret_fields = (
        SecretField(
            "server_key",
            _l("Server key"),
            _l("Midtrans dashboard → Settings → Access keys. Sandbox keys start with SB-Mid-server-."),
            check=_check_server_key,
        ),
    )
    setup_help = _l(
        "Notifications arrive at the URL below; Rollcall also sends it with every transaction, so "
        "the dashboard's Payment Notification URL may stay empty."
    )

    def _auth(self, credentials: Credentials) -> str:
        return http.basic_auth(credentials.secrets["server_key"], "")

    def create(self, payment, order, credentials: Credentials, urls: Urls) -> Checkout:
        if not ORDER_ID.match(payment.reference):
            raise GatewayError(f"order_id {payment.reference!r} is not allowed by Midtrans")
        body = {
            "transaction_details": {"order_id": payment.reference, "gross_amount": payment.amount},
            "customer_details": {"first_name": order.buyer_name[:255], "email": order.buyer_email},
            "callbacks": {"finish": urls.return_to},
        }
        if order.expires_at:
            # The Snap page closes when the seats stop being held.
            minutes = max(1, math.ceil((order.expires_at - utcnow()).total_seconds() / 60))
            body["expiry"] = {"unit": "minute", "duration": minutes}
        url = service_url(self.name, "snap", HOSTS[credentials.mode]) + "/snap/v1/transactions"
        response = http.call(
            "POST",
            url,
            authorization=self._auth(credentials),
            json_body=body,
            headers={"X-Override-Notification": urls.notify},
        )
        token, redirect_url = response.data.get("token"), response.data.get("redirect_url")
        if not response.ok or not token or not redirect_url:
            raise GatewayError(f"Midtrans refused the transaction ({response.status}): {_messages(response)}")
        return Checkout(redirect_url=redirect_url, external_id=token)

    def read_notification(self, body: bytes, headers: dict[str, str], credentials: Credentials) -> Report:
        try:
            data = json.loads(body)
        except ValueError:
            raise NotificationRejected("the body is not JSON") from None
        if not isinstance(data, dict):
            raise NotificationRejected("the body is not a JSON object")
        fields = [data.get(k) for k in ("order_id", "status_code", "gross_amount", "signature_key")]
        if not all(isinstance(v, str) and v for v in fields):
            raise NotificationRejected("order_id, status_code, gross_amount or signature_key is missing")
        order_id, status_code, gross_amount, sent = fields
        expected = signature(order_id, status_code, gross_amount, credentials.secrets["server_key"])
        if not hmac.compare_digest(expected, sent.lower()):
            raise NotificationRejected("signature_key does not match", status=401)
        # The notification is authentic, but may be stale or replayed: the status API has the last word.
        report = self._status(order_id, credentials)
        if report is None:
            raise NotificationRejected("the status API does not know this transaction", status=404)
        return report

    def fetch_status(self, payment, credentials: Credentials) -> Report | None:
        return self._status(payment.reference, credentials)

    def _status(self, order_id: str, credentials: Credentials) -> Report | None:
        url = service_url(self.name, "api", HOSTS[credentials.mode]) + f"/v2/{quote(order_id, safe='')}/status"
        response = http.call("GET", url, authorization=self._auth(credentials))
        data = response.data
        if response.status == 404 or data.get("status_code") == "404":
            return None
        if response.status in (401, 403) or data.get("status_code") == "401":
            raise GatewayError(_("Midtrans refused the server key (check the key and the sandbox/production mode)"))
        if not response.ok or "transaction_status" not in data or data.get("order_id") != order_id:
            raise GatewayError(f"unexpected status answer ({response.status}): {_messages(response)}")
        currency = str(data.get("currency") or "IDR").upper()
        status = str(data["transaction_status"])
        refunded = data.get("refund_amount")
        return Report(
            outcome=outcome_of(status, str(data.get("fraud_status") or "")),
            status=status if not data.get("fraud_status") else f"{status}/{data['fraud_status']}",
            reference=order_id,
            amount=to_minor(str(data.get("gross_amount", "")), currency),
            currency=currency,
            external_payment_id=data.get("transaction_id"),
            method=str(data.get("payment_type") or ""),
            refunded_amount=to_minor(str(refunded), currency) if refunded is not None else None,
        )


def _messages(response: http.Response) -> str:
    messages = response.data.get("error_messages") or response.data.get("status_message") or response.text[:200]
    return "; ".join(messages) if isinstance(messages, list) else str(messages)


gateway = Midtrans()
