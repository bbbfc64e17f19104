"""Paying an order: starting an attempt at a gateway, reading what gateways report back, and
turning each report into the same decisions for every gateway (confirm, revoke, flag, ignore).

Reports are idempotent: the payment row is locked, a report that changes nothing is a duplicate,
and the orders service's confirm_payment is itself idempotent. The gateway's network calls happen outside any
database transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from flask import current_app

from webapp.accounts.models import Organization, User
from webapp.db import locked, utcnow, write_transaction
from webapp.i18n import _
from webapp.orders import service as orders
from webapp.orders.models import Order
from webapp.payments import event_settings, gateways, http, vault
from webapp.payments.gateway_settings import credentials, enabled_gateways
from webapp.payments.gateways.base import Gateway, GatewayError, NotificationRejected, Urls
from webapp.payments.models import OPEN_STATES, Payment, PaymentNotification
from webapp.payments.reports import apply_report
from webapp.runtime import settings

log = logging.getLogger("rollcall.payments")

REUSE_ATTEMPT_FOR = dt.timedelta(hours=12)  # an open attempt's payment page stays usable this long
RETURN_CHECK_TIMEOUT = 5  # seconds the returning attendee may wait for the gateway's answer
RETURN_CHECK_SPACING = dt.timedelta(seconds=3)  # reloads of the return URL do not hammer the gateway
BODY_LOG_LIMIT = 64 * 1024
LOGGED_HEADERS = ("Content-Type", "User-Agent", "Stripe-Signature", "X-Rollcall-Signature", "X-Forwarded-For")
ORDER_PAGE_ENDPOINT = "orders.order_page"


class PaymentError(Exception):
    """The payment cannot be started or checked; the message is fit to show."""


# --- Starting a payment -------------------------------------------------------------------------


def available_gateways(
    org: Organization | int, currency: str | None = None, event_id: int | None = None
) -> list[tuple[str, str]]:
    """(name, label) of the gateways the organization offers at checkout, in display order;
    with `currency`, only those that take it; with `event_id`, only those the event offers (its
    own payment settings may narrow the organization's)."""
    org_id = org if isinstance(org, int) else org.id
    found = [(g.name, g.label) for g in enabled_gateways(org_id) if currency is None or g.supports_currency(currency)]
    names = event_settings.allowed(event_id, [name for name, _ in found])
    return [(name, label) for name, label in found if name in names]


def start_payment(order: Order, gateway_name: str) -> str:
    """Open a payment attempt for the pending order at the gateway and return the URL to send the
    attendee to. An attempt still open for the same gateway and amount is reused (a reload or a
    double click opens no second one). Raises PaymentError."""
    if order.status != "pending":
        raise PaymentError(_("This order is not awaiting payment."))
    if order.total <= 0:
        raise PaymentError(_("This order has nothing to pay."))
    if gateway_name not in dict(available_gateways(order.organization_id, order.currency, order.event_id)):
        raise PaymentError(_("This payment method is not available for this order. Choose another one."))
    gateway = gateways.get(gateway_name)
    reusable = _open_attempt(order, gateway_name)
    if reusable is not None:
        return reusable.redirect_url
    creds = credentials(order.organization_id, gateway_name)
    with write_transaction():
        # Decided on the order as it is now, under its lock: one paid, canceled or expired since the
        # page read it (an operator saw the transfer arrive, say) takes no attempt.
        if locked(Order.select(Order.status).where(Order.id == order.id)).scalar() != "pending":
            raise PaymentError(_("This order is not awaiting payment."))
        payment = Payment.create(
            organization=order.organization_id,
            order=order,
            gateway=gateway_name,
            reference=_new_reference(order),
            amount=order.total,
            currency=order.currency,
            mode=creds.mode if gateway.has_modes else "production",
        )
    try:
        checkout = gateway.create(payment, order, creds, _urls(order, gateway, payment))
    except (GatewayError, http.GatewayUnavailable) as exc:
        log.warning("payment %s at %s could not start: %s", payment.reference, gateway_name, exc)
        payment.change(state="failed", error=str(exc)[:500])
        raise PaymentError(
            _("The payment could not be started. Try again in a moment or choose another payment method.")
        ) from None
    payment.change(external_id=checkout.external_id, redirect_url=checkout.redirect_url)
    # A notification may already have moved the attempt on: only a fresh one becomes pending.
    Payment.update(state="pending").where((Payment.id == payment.id) & (Payment.state == "created")).execute()
    return checkout.redirect_url


def _open_attempt(order: Order, gateway_name: str) -> Payment | None:
    return (
        Payment.select()
        .where(
            (Payment.order == order)
            & (Payment.gateway == gateway_name)
            & (Payment.state == "pending")
            & (Payment.amount == order.total)
            & (Payment.currency == order.currency)
            & Payment.redirect_url.is_null(False)
            & (Payment.created_at > utcnow() - REUSE_ATTEMPT_FOR)
        )
        .order_by(Payment.id.desc())
        .first()
    )


def _new_reference(order: Order) -> str:
    # Letters, digits and dashes only (Midtrans' order_id rules), unique across attempts and
    # across databases that share one gateway account (a sandbox reset must not reuse an id).
    attempt = Payment.select().where(Payment.order == order).count() + 1
    return f"{order.code}-{attempt}-{secrets.token_hex(3)}"


def external_url(endpoint: str, **values) -> str:
    """An absolute URL on BASE_URL (not the request's host: gateways must reach the public name)."""
    base = urlsplit(settings().base_url)
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def order_page_url(order: Order) -> str:
    return external_url(ORDER_PAGE_ENDPOINT, secret=order.secret)


def _urls(order: Order, gateway: Gateway, payment: Payment) -> Urls:
    return Urls(
        order_page=order_page_url(order),
        return_to=external_url("payments_public.return_from_gateway", secret=order.secret),
        notify=external_url("payments_public.notify", gateway_name=gateway.name, org_id=order.organization_id),
        pay_page=external_url("payments_public.pay_page", secret=order.secret, gateway_name=gateway.name),
    )


# --- Notifications ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationAnswer:
    status: int  # the HTTP status the gateway gets back
    outcome: str
    message: str = ""


def handle_notification(
    gateway_name: str, org_id: int, body: bytes, headers: dict[str, str], remote_addr: str = ""
) -> NotificationAnswer:
    """Verify and apply one notification sent to this organization's endpoint for the gateway.
    Every notification is logged with what came of it. Never raises: a bad signature answers 4xx,
    a gateway we could not reach to confirm answers 503 (the gateway retries later)."""
    entry = PaymentNotification(
        gateway=gateway_name[:32],
        remote_addr=remote_addr[:64],
        headers={k: headers[k][:500] for k in LOGGED_HEADERS if k in headers},
        body=body[:BODY_LOG_LIMIT].decode("utf-8", "replace"),
    )
    try:
        answer = _handle(entry, gateway_name, org_id, body, headers)
    except NotificationRejected as exc:
        answer = NotificationAnswer(exc.status, "rejected", str(exc))
    except (GatewayError, http.GatewayUnavailable, vault.SecretUnreadable) as exc:
        answer = NotificationAnswer(503, "error", str(exc))
    except Exception as exc:  # a bug must not lose the notification: it is logged and retried
        log.exception("notification for %s/%s failed", gateway_name, org_id)
        answer = NotificationAnswer(503, "error", f"{type(exc).__name__}: {exc}")
    if answer.status >= 400:
        log.warning("notification for %s/%s %s: %s", gateway_name, org_id, answer.outcome, answer.message)
    if answer.status != 200:  # _handle did not finish: nothing of it was committed, the log row neither
        entry.id = None
        if entry.organization_id is None and Organization.select().where(Organization.id == org_id).exists():
            entry.organization = org_id  # rejected before its settings were read: still the org's to see
        _save_entry(entry, answer)
    return answer


def _save_entry(entry: PaymentNotification, answer: NotificationAnswer) -> None:
    entry.outcome, entry.error, entry.http_status = answer.outcome, answer.message[:500], answer.status
    entry.save()


def _handle(
    entry: PaymentNotification, gateway_name: str, org_id: int, body: bytes, headers: dict[str, str]
) -> NotificationAnswer:
    gateway = gateways.registry().get(gateway_name)
    if gateway is None or not gateway.receives_notifications or not gateway.is_offered():
        raise NotificationRejected(f"no gateway {gateway_name!r} takes notifications here", status=404)
    creds = credentials(org_id, gateway_name)
    if creds is None:
        raise NotificationRejected("this organization has not set up this gateway", status=404)
    entry.organization = org_id
    report = gateway.read_notification(body, headers, creds)
    entry.verified, entry.gateway_status = True, report.status[:64]
    with write_transaction():  # the log row commits with what it caused: one write lock per notification
        outcome, payment = apply_report(org_id, gateway_name, report)
        entry.payment = payment.id if payment is not None else None
        _save_entry(entry, NotificationAnswer(200, outcome))
    return NotificationAnswer(200, outcome)


def refresh_status(payment: Payment) -> str:
    """Ask the gateway where the payment stands and apply the answer (a missed notification, an
    operator's "check now"). Returns the outcome (reload the payment to see it); raises
    PaymentError when the gateway cannot say."""
    gateway = gateways.get(payment.gateway)
    try:
        creds = credentials(payment.organization_id, payment.gateway)
        report = gateway.fetch_status(payment, creds) if creds is not None else None
    except vault.SecretUnreadable:
        raise PaymentError(_("The stored keys cannot be read: enter them again in the payment settings.")) from None
    except (GatewayError, http.GatewayUnavailable) as exc:
        raise PaymentError(_("%(gateway)s could not be asked: %(error)s", gateway=gateway.brand, error=exc)) from None
    if report is None:
        return "unchanged"
    outcome, _changed = apply_report(
        payment.organization_id, payment.gateway, replace(report, reference=payment.reference)
    )
    return outcome


def _gateways_with_status() -> list[str]:
    """The gateways that can be asked about an attempt (Midtrans, Stripe)."""
    return [g.name for g in gateways.registry().values() if type(g).fetch_status is not Gateway.fetch_status]


def check_on_return(order: Order) -> str | None:
    """The attendee is back from the gateway's page: ask about the order's latest open attempt
    right away (briefly: someone is waiting), so the order page rarely shows "pending" for a
    payment just made. Returns the outcome, or None when there was nothing to ask."""
    asking = _gateways_with_status()
    payment = (
        Payment.select()
        .where(
            (Payment.order == order.id)
            & Payment.state.in_(OPEN_STATES)
            & Payment.gateway.in_(asking)
            & (Payment.updated_at < utcnow() - RETURN_CHECK_SPACING)
        )
        .order_by(Payment.id.desc())
        .first()
    )
    if payment is None:
        return None
    try:
        with http.time_limit(RETURN_CHECK_TIMEOUT):
            return refresh_status(payment)
    except PaymentError as exc:
        log.info("status of payment %s on return unknown: %s", payment.reference, exc)
        return None


def refresh_stale_payments(
    *,
    quiet_for: dt.timedelta = dt.timedelta(minutes=10),
    give_up_after: dt.timedelta = dt.timedelta(days=2),
    limit: int = 50,
) -> int:
    """Ask the gateways about open attempts that have been quiet for a while (a notification lost
    on the way); returns how many changed. Attempts older than `give_up_after` are left alone."""
    now = utcnow()
    asking = _gateways_with_status()
    stale = (
        Payment.select()
        .where(
            (Payment.state == "pending")
            & Payment.gateway.in_(asking)
            & (Payment.updated_at < now - quiet_for)
            & (Payment.created_at > now - give_up_after)
        )
        .order_by(Payment.updated_at)
        .limit(limit)
    )
    changed = 0
    for payment in stale:
        try:
            outcome = refresh_status(payment)
        except PaymentError as exc:
            log.warning("status of payment %s unknown: %s", payment.reference, exc)
            continue
        if outcome in ("unchanged", "duplicate", "stale"):
            payment.change()  # touch it, so the next run asks the others first
        else:
            changed += 1
    return changed


# --- Operator actions ---------------------------------------------------------------------------


def mark_transfer_received(order: Order, *, actor: User) -> Payment:
    """An operator saw the bank transfer arrive: the order is paid (orders' mark_paid_manually)
    and the bank payment attempt recorded as paid. Raises PaymentError."""

    if order.status != "pending":
        raise PaymentError(_("Only a pending order can be marked paid."))
    with write_transaction():
        try:
            orders.mark_paid_manually(order, actor=actor, gateway="bank")
        except orders.OrderError as exc:
            raise PaymentError(str(exc)) from None
        payment = (
            locked(Payment.select().where((Payment.order == order) & (Payment.gateway == "bank")))
            .order_by(Payment.id.desc())
            .first()
        )
        if payment is None:
            payment = Payment.create(
                organization=order.organization_id,
                order=order,
                gateway="bank",
                reference=_new_reference(order),
                amount=order.total,
                currency=order.currency,
                mode="production",
            )
        payment.change(
            state="paid",
            paid_at=utcnow(),
            received_amount=order.total,
            gateway_status=f"marked paid by {actor.email}"[:64],
        )
    return payment


def settle_offline_attempts(order_id: int) -> int:
    """An order paid or ended by other means takes its open bank/test attempts along: the attempt
    at the gateway the order was paid with becomes paid, the others canceled. Returns how many."""
    order = Order.get_or_none(Order.id == order_id)
    if order is None or order.status == "pending":
        return 0
    offline = [g.name for g in gateways.registry().values() if g.follows_order]
    now = utcnow()
    with write_transaction():
        attempts = list(
            locked(
                Payment.select().where(
                    (Payment.order == order.id) & Payment.state.in_(OPEN_STATES) & Payment.gateway.in_(offline)
                )
            ).order_by(Payment.id.desc())
        )
        paid_one = False
        for payment in attempts:
            if order.status == "paid" and payment.gateway == order.gateway and not paid_one:
                paid_one = True
                payment.change(
                    state="paid", paid_at=now, received_amount=order.total, gateway_status="order marked paid"
                )
            else:
                payment.change(state="canceled", gateway_status=f"order {order.status}")
    return len(attempts)


def prune_notifications(keep: dt.timedelta = dt.timedelta(days=180)) -> int:
    """Forget notifications older than `keep` (the payments keep their own state)."""
    return PaymentNotification.delete().where(PaymentNotification.received_at < utcnow() - keep).execute()


def payments_of(order: Order) -> list[Payment]:
    return list(Payment.select().where(Payment.order == order).order_by(Payment.created_at.desc(), Payment.id.desc()))


def pay_page_payment(order_secret: str, gateway_name: str) -> Payment:
    """The latest attempt of the order (found by its secret link) at a gateway whose payment page
    is ours (bank, test). DoesNotExist (404) when there is none."""
    return (
        Payment.select(Payment, Order)
        .join(Order)
        .where((Order.secret == order_secret) & (Payment.gateway == gateway_name))
        .order_by(Payment.id.desc())
        .get()
    )
