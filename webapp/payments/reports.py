"""What a gateway's report means for a payment and its order, decided once for every gateway:
confirm, revoke, flag, hold, or nothing at all for a report already applied (a duplicate) or
overtaken by a later one (stale)."""

from __future__ import annotations

import logging

import peewee

from webapp.db import locked, utcnow, write_transaction
from webapp.i18n import StoredText, stored_text
from webapp.money import format_money
from webapp.orders import service as orders
from webapp.payments import gateways
from webapp.payments.gateways.base import Report
from webapp.payments.models import OPEN_STATES, Payment

log = logging.getLogger("rollcall.payments")


def apply_report(org_id: int, gateway_name: str, report: Report) -> tuple[str, Payment | None]:
    """Apply the gateway's report to the payment it is about (locked). Returns (outcome, payment):
    paid, already_paid, flagged, pending, hold, failed, canceled, revoked, refunded,
    partial_refund, duplicate, stale, ignored or unknown."""
    if report.outcome == "ignored":
        return "ignored", None
    with write_transaction():
        payment = _find(org_id, gateway_name, report)
        if payment is None:
            return "unknown", None
        changes = {}
        if report.external_payment_id and not payment.external_payment_id:
            changes["external_payment_id"] = report.external_payment_id
        if report.method:
            changes["method"] = report.method[:64]
        changes["gateway_status"] = report.status[:64]
        outcome, more = _decide(payment, report)
        changes.update(more)
        payment.change(**changes)
    log.info("payment %s (%s): %s -> %s", payment.reference, gateway_name, report.status, outcome)
    return outcome, payment


def _find(org_id: int, gateway_name: str, report: Report) -> Payment | None:
    scope = (Payment.organization == org_id) & (Payment.gateway == gateway_name)
    for field, value in (
        (Payment.reference, report.reference),
        (Payment.external_payment_id, report.external_payment_id),
    ):
        if value:
            try:
                return locked(Payment.select().where(scope & (field == value))).get()
            except peewee.DoesNotExist:
                continue
    return None


def _decide(payment: Payment, report: Report) -> tuple[str, dict]:
    """(outcome, payment fields to change) for one report, calling the orders service where the order changes."""

    state, outcome = payment.state, report.outcome
    if outcome == "paid":
        if state == "paid":
            return "duplicate", {}
        if state in ("refunded", "canceled"):
            return "stale", {}
        return _paid(payment, report, orders)
    if outcome in ("pending", "hold"):
        if state not in OPEN_STATES:
            return "stale", {}  # an older word arriving late: the later one stands
        flag = _flag(_hold_flag(payment) if outcome == "hold" else None)
        if state == "pending" and payment.flag == flag["flag"]:
            return "duplicate", {}
        return outcome, {"state": "pending", **flag}
    if outcome in ("failed", "canceled"):
        if state == outcome:
            return "duplicate", {}
        if state == "paid" and outcome == "failed":
            # e.g. a Midtrans settlement later denied: the money did not stay with us.
            reason = stored_text(
                "%(gateway)s reports %(status)s after the payment was confirmed",
                gateway=gateway_label(payment),
                status=report.status,
            )
            orders.revoke_payment(payment.order_id, reason=reason)
            return "revoked", {"state": "failed", **_flag(stored_text("Payment reversed: %(reason)s.", reason=reason))}
        if state not in OPEN_STATES:
            return "stale", {}
        return outcome, {"state": outcome}
    if outcome == "refunded":
        if state == "refunded":
            return "duplicate", {}
        if state == "paid":
            orders.revoke_payment(
                payment.order_id, reason=stored_text("refunded at %(gateway)s", gateway=gateway_label(payment))
            )
        refunded = report.refunded_amount if report.refunded_amount is not None else payment.amount
        return "refunded", {"state": "refunded", "refunded_amount": refunded}
    if outcome == "partial_refund":
        refunded = report.refunded_amount or 0
        if state != "paid" or refunded == payment.refunded_amount:
            return ("duplicate" if refunded == payment.refunded_amount else "stale"), {}
        flag = stored_text(
            "Partially refunded at %(gateway)s: %(amount)s. The order stays paid.",
            gateway=gateway_label(payment),
            amount=format_money(refunded, payment.currency),
        )
        return "partial_refund", {"refunded_amount": refunded, **_flag(flag)}
    return "ignored", {}


def _paid(payment: Payment, report: Report, orders) -> tuple[str, dict]:
    currency = (report.currency or payment.currency).upper()
    received = report.amount
    if received != payment.amount or currency != payment.currency:
        shown = format_money(received, currency) if received is not None else stored_text("an unreadable amount")
        flag = _flag(
            stored_text(
                "Amount mismatch: %(gateway)s reports %(amount)s, %(due)s was due.",
                gateway=gateway_label(payment),
                amount=shown,
                due=format_money(payment.amount, payment.currency),
            )
        )
        if payment.flag == flag["flag"]:
            return "duplicate", {}
        # The orders service checks the amount too: it flags the order for the operator and does not mark it paid.
        orders.confirm_payment(
            payment.order_id,
            amount=received or 0,
            currency=currency,
            gateway=payment.gateway,
            reference=payment.reference,
        )
        return "flagged", {**flag, "received_amount": received}
    result = orders.confirm_payment(
        payment.order_id, amount=received, currency=currency, gateway=payment.gateway, reference=payment.reference
    )
    changes = {"state": "paid", "paid_at": utcnow(), "received_amount": received, **_flag(None)}
    if result == "already_paid" and _paid_elsewhere(payment):
        changes.update(_flag(stored_text("The order was already paid by another payment: refund this one.")))
        result = "flagged"
    elif result == "flagged":
        changes.update(_flag(stored_text("Money received, but the order could not be confirmed (see the order).")))
    return result, changes


def _paid_elsewhere(payment: Payment) -> bool:
    return (
        Payment.select()
        .where((Payment.order == payment.order_id) & (Payment.state == "paid") & (Payment.id != payment.id))
        .exists()
    )


def _hold_flag(payment: Payment) -> StoredText:
    return stored_text(
        "Held by %(gateway)s's fraud check (challenge): accept or deny it in the %(gateway)s dashboard.",
        gateway=gateway_label(payment),
    )


def _flag(text: StoredText | None) -> dict:
    """The payment's flag for the operator: English (API, exports) and the message (the console)."""
    if text is None:
        return {"flag": None, "flag_i18n": None}
    return {"flag": text.english[:300], "flag_i18n": text.to_json()}


def gateway_label(payment: Payment) -> str:
    gateway = gateways.registry().get(payment.gateway)
    return gateway.brand if gateway else payment.gateway
