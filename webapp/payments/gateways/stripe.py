"""Stripe Checkout: a Checkout Session created over Stripe's HTTP API (form-encoded), and a webhook
verified with the Stripe-Signature header on the raw request bytes."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from urllib.parse import quote

from webapp import money
from webapp.db import utcnow
from webapp.i18n import _l
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

HOSTS = {"sandbox": {"api": "https://api.stripe.com"}, "production": {"api": "https://api.stripe.com"}}
TOLERANCE = 300  # seconds between the signed timestamp and now
# Stripe's own minor units differ from ISO 4217 for some currencies (IDR counts cents at Stripe).
ZERO_DECIMAL = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())
SESSION_MIN_LIFETIME = dt.timedelta(minutes=31)  # Stripe accepts expires_at from 30 min to 24 h ahead
SESSION_MAX_LIFETIME = dt.timedelta(hours=23, minutes=59)


def stripe_exponent(currency: str) -> int:
    currency = currency.upper()
    return 0 if currency in ZERO_DECIMAL else 3 if currency in THREE_DECIMAL else 2


def to_stripe_amount(amount: int, currency: str) -> int:
    """Our minor units -> Stripe's (100000 IDR -> 10000000)."""
    shift = stripe_exponent(currency) - money.exponent(currency)
    return amount * 10**shift if shift >= 0 else amount // 10**-shift


def from_stripe_amount(amount: int, currency: str) -> int | None:
    """Stripe's minor units -> ours; None when the amount is not a whole number of ours."""
    shift = stripe_exponent(currency) - money.exponent(currency)
    if shift < 0:
        return amount * 10**-shift
    return amount // 10**shift if amount % 10**shift == 0 else None


def _check_secret_key(value: str, mode: str) -> str | None:
    if not value.startswith(("sk_", "rk_")):
        return "A Stripe secret key starts with sk_ (or rk_ for a restricted key)."
    if mode == "sandbox" and "_live_" in value[:8]:
        return "This is a live key; choose production mode or enter the test key (sk_test_…)."
    if mode == "production" and "_test_" in value[:8]:
        return "This is a test key; choose sandbox mode or enter the live key (sk_live_…)."
    return None


def _check_webhook_secret(value: str, mode: str) -> str | None:
    return None if value.startswith("whsec_") else "A webhook signing secret starts with whsec_."


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + payload, hashlib.sha256).hexdigest()


def verify_signature(payload: bytes, header: str, secrets: list[str], now: float | None = None) -> None:
    """Raise NotificationRejected unless one v1 signature in `header` matches one of `secrets`
    within the tolerance (several v1 values arrive while a secret is being rolled)."""
    timestamp, candidates = None, []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise NotificationRejected("Stripe-Signature header is missing or malformed")
    if abs((time.time() if now is None else now) - timestamp) > TOLERANCE:
        raise NotificationRejected("Stripe-Signature timestamp is outside the 300 s tolerance")
    expected = [sign(payload, secret, timestamp) for secret in secrets if secret]
    if not any(hmac.compare_digest(e, c) for e in expected for c in candidates):
        raise NotificationRejected("no Stripe-Signature v1 value matches the webhook secret", status=401)


class Stripe(Gateway):
    name = "stripe"
    label = _l("Card (Stripe)")
    brand = "Stripe"
    position = 20
    secret_fields = (
        SecretField(
            "secret_key",
            _l("Secret key"),
            _l("Stripe dashboard → Developers → API keys (sk_test_… in sandbox, sk_live_… in production)."),
            check=_check_secret_key,
        ),
        SecretField(
            "webhook_secret",
            _l("Webhook signing secret"),
            _l(
                "Add the webhook URL below in Stripe (events: checkout.session.*, charge.refunded) and paste its whsec_…."
            ),
            check=_check_webhook_secret,
        ),
        SecretField(
            "previous_webhook_secret",
            _l("Previous webhook signing secret"),
            _l("While rolling the secret in Stripe, keep the old one here until Stripe stops using it."),
            required=False,
            check=_check_webhook_secret,
        ),
    )
    setup_help = _l("Stripe calls the webhook URL below for every checkout; without it payments stay pending.")

    def _auth(self, credentials: Credentials) -> str:
        return "Bearer " + credentials.secrets["secret_key"]

    def _url(self, credentials: Credentials, path: str) -> str:
        return service_url(self.name, "api", HOSTS[credentials.mode]) + path

    def create(self, payment, order, credentials: Credentials, urls: Urls) -> Checkout:
        currency = payment.currency.lower()
        form = [
            ("mode", "payment"),
            ("client_reference_id", payment.reference),
            ("success_url", urls.return_to),
            ("cancel_url", urls.order_page),
            ("customer_email", order.buyer_email),
            ("locale", order.locale if order.locale in ("en", "id") else "auto"),
            ("line_items[0][quantity]", "1"),
            ("line_items[0][price_data][currency]", currency),
            ("line_items[0][price_data][unit_amount]", str(to_stripe_amount(payment.amount, payment.currency))),
            ("line_items[0][price_data][product_data][name]", f"{order.event.name} · order {order.code}"[:250]),
            ("metadata[payment_reference]", payment.reference),
            ("metadata[order_code]", order.code),
            ("metadata[organization_id]", str(payment.organization_id)),
            ("payment_intent_data[metadata][payment_reference]", payment.reference),
        ]
        if order.expires_at and order.expires_at - utcnow() >= SESSION_MIN_LIFETIME:
            until = min(order.expires_at, utcnow() + SESSION_MAX_LIFETIME)
            form.append(("expires_at", str(int(until.replace(tzinfo=dt.UTC).timestamp()))))
        response = http.call(
            "POST",
            self._url(credentials, "/v1/checkout/sessions"),
            authorization=self._auth(credentials),
            form=form,
            headers={"Idempotency-Key": f"rollcall-{payment.reference}"},
        )
        if not response.ok or not response.data.get("url") or not response.data.get("id"):
            raise GatewayError(f"Stripe refused the Checkout Session ({response.status}): {_message(response)}")
        return Checkout(redirect_url=response.data["url"], external_id=response.data["id"])

    def read_notification(self, body: bytes, headers: dict[str, str], credentials: Credentials) -> Report:
        secrets = [
            credentials.secrets.get("webhook_secret", ""),
            credentials.secrets.get("previous_webhook_secret", ""),
        ]
        if not any(secrets):
            raise NotificationRejected("no webhook signing secret is set up for Stripe", status=403)
        verify_signature(body, headers.get("Stripe-Signature", ""), secrets)
        try:
            event = json.loads(body)
            kind, obj = event["type"], event["data"]["object"]
        except (ValueError, KeyError, TypeError):
            raise NotificationRejected("the body is not a Stripe event") from None
        return report_for_event(kind, obj)

    def fetch_status(self, payment, credentials: Credentials) -> Report | None:
        if not payment.external_id:
            return None
        response = http.call(
            "GET",
            self._url(credentials, f"/v1/checkout/sessions/{quote(payment.external_id, safe='')}"),
            authorization=self._auth(credentials),
        )
        if response.status == 404:
            return None
        if not response.ok:
            raise GatewayError(f"Stripe refused the status request ({response.status}): {_message(response)}")
        session = response.data
        if session.get("status") == "expired":
            return _session_report("canceled", "session.expired", session)
        if session.get("payment_status") == "paid":
            return _session_report("paid", "session.paid", session)
        return _session_report("pending", f"session.{session.get('status', 'open')}", session)


def report_for_event(kind: str, obj: dict) -> Report:
    if kind == "checkout.session.completed":
        paid = obj.get("payment_status") == "paid"
        # "unpaid": an asynchronous method (bank debit...) will answer with async_payment_*.
        return _session_report("paid" if paid else "pending", kind, obj)
    if kind == "checkout.session.async_payment_succeeded":
        return _session_report("paid", kind, obj)
    if kind == "checkout.session.async_payment_failed":
        return _session_report("failed", kind, obj)
    if kind == "checkout.session.expired":
        return _session_report("canceled", kind, obj)
    if kind == "charge.refunded":
        currency = str(obj.get("currency", "")).upper()
        refunded = from_stripe_amount(int(obj.get("amount_refunded") or 0), currency) if currency else None
        full = bool(obj.get("refunded")) or obj.get("amount_refunded") == obj.get("amount")
        return Report(
            outcome="refunded" if full else "partial_refund",
            status=kind,
            reference=(obj.get("metadata") or {}).get("payment_reference"),
            external_payment_id=_id(obj.get("payment_intent")),
            currency=currency,
            refunded_amount=refunded,
        )
    return Report(outcome="ignored", status=kind)


def _session_report(outcome: str, status: str, session: dict) -> Report:
    currency = str(session.get("currency") or "").upper()
    total = session.get("amount_total")
    return Report(
        outcome=outcome,
        status=status,
        reference=session.get("client_reference_id") or (session.get("metadata") or {}).get("payment_reference"),
        amount=from_stripe_amount(int(total), currency) if isinstance(total, int) and currency else None,
        currency=currency or None,
        external_payment_id=_id(session.get("payment_intent")),
        method=",".join(session.get("payment_method_types") or []),
    )


def _id(value) -> str | None:
    if isinstance(value, dict):  # an expanded object
        return value.get("id")
    return value or None


def _message(response: http.Response) -> str:
    error = response.data.get("error")
    return error.get("message", "") if isinstance(error, dict) else response.text[:200]


gateway = Stripe()
