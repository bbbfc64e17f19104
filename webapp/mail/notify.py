"""The emails an attendee gets from an event: ticket, payment confirmation, bank transfer
instructions and automations (the check-in confirmation is the check-in domain's:
webapp/checkin/emails.py). Each is an outbox row, in the language of the order."""

from __future__ import annotations

import datetime as dt
import logging

from babel.dates import format_datetime
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from webapp.accounts import audit
from webapp.db import db, locked, write_transaction
from webapp.i18n import stored_text
from webapp.mail import content, links
from webapp.mail.models import Outbox
from webapp.mail.service import queue_email
from webapp.orders.models import Order, Registrant
from webapp.payments.event_settings import bank_details_for
from webapp.payments.gateway_settings import BankDetails
from webapp.tickets import display
from webapp.tickets.service import admitted_registrants, is_admitted_order
from webapp.timeutil import zone

log = logging.getLogger("rollcall.mail")


def send_to_registrant(
    registrant: Registrant, slot: str, *, kind: str, checkin=None, attach_ticket=False,
    unsubscribe_url: str | None = None, skip_reason: str | None = None,
) -> Outbox:  # fmt: skip
    """Render the event's `slot` template for this registrant and queue it. Promotional email
    (automations) passes the contact's `unsubscribe_url` (link in the body and List-Unsubscribe)
    or a `skip_reason` (kept in the log as skipped, never sent)."""
    order, event = registrant.order, registrant.event
    lang = display.language(order.locale)
    context = content.context_for(registrant, checkin=checkin)
    context["unsubscribe_url"] = unsubscribe_url or ""
    rendered = content.render_email(event, slot, lang, context)
    attachments = []
    if attach_ticket:
        filename = f"ticket-{order.code}-{registrant.id}.pdf"
        attachments.append({"filename": filename, "ticket": f"registrant:{registrant.id}"})
    return queue_email(
        kind=kind,
        to_email=registrant.email,
        to_name=registrant.name,
        subject=rendered["subject"],
        text_body=rendered["text_body"],
        html_body=rendered["html_body"],
        organization=event.organization,
        attachments=attachments,
        event_id=event.id,
        registrant_id=registrant.id,
        order_id=order.id,
        unsubscribe_url=unsubscribe_url,
        skip_reason=skip_reason,
        send_key=slot,
        **content.sender(event),
    )


def send_ticket_email(registrant_or_order: Registrant | Order) -> list[Outbox]:
    """The ticket email (PDF attached, order page link) for one registrant, or for every admitted
    registrant of an order. Nothing for a registrant who is not admitted."""
    if isinstance(registrant_or_order, Order):
        registrants = admitted_registrants(registrant_or_order)
    else:
        admitted = admitted_registrants(registrant_or_order.order)
        registrants = [r for r in admitted if r.id == registrant_or_order.id]
    with db.atomic():
        return [send_to_registrant(r, "ticket", kind="ticket", attach_ticket=True) for r in registrants]


class NotAdmitted(ValueError):
    """The registrant has no valid ticket to send."""


def resend_ticket(registrant: Registrant, *, actor, actor_label: str | None = None) -> Outbox:
    """An operator sends the ticket email again (the current ticket: a renamed attendee gets the
    new name)."""
    with db.atomic():
        sent = send_ticket_email(registrant)
        if not sent:
            raise NotAdmitted("This registrant has no valid ticket (unpaid, canceled or not approved).")
        audit.record(
            registrant.organization_id,
            "mail.resend_ticket",
            user=actor,
            actor=actor_label,
            target=registrant,
            summary=stored_text(
                "Resent the ticket of %(registrant)s to %(email)s", registrant=registrant.name, email=registrant.email
            ),
        )
    return sent[0]


def send_payment_email(order: Order) -> Outbox | None:
    """The order confirmation to the buyer: a payment receipt for a paid order, and for a free
    order placed for other people (who get the tickets) so the buyer hears about it too. Filed
    under the registrant with the buyer's email (else the first), so it shows on a registrant page."""
    if order.status != "paid":
        return None
    registrants = list(order.registrants.order_by(Registrant.id))
    if not registrants:
        return None
    own = next((r for r in registrants if r.email.lower() == order.buyer_email.lower()), None)
    if order.total <= 0 and own is not None:
        return None  # a free order: the buyer's own ticket email says it all
    buyer = own or registrants[0]
    lang = display.language(order.locale)
    context = content.context_for(buyer)
    context["attendee"].update(name=order.buyer_name, first_name=(order.buyer_name.split() or [""])[0])
    context["attendee"]["email"] = order.buyer_email
    rendered = content.render_email(order.event, "payment", lang, context)
    return queue_email(
        kind="payment",
        to_email=order.buyer_email,
        to_name=order.buyer_name,
        subject=rendered["subject"],
        text_body=rendered["text_body"],
        html_body=rendered["html_body"],
        organization=order.event.organization,
        event_id=order.event_id,
        registrant_id=buyer.id,
        order_id=order.id,
        send_key="payment",
        **content.sender(order.event),
    )


def order_paid(order_id: int) -> int:
    """After payment (or a free registration): ticket emails and the payment confirmation.
    Returns how many emails were queued."""
    # The order row is locked so that two deliveries of the same signal cannot both send.
    with write_transaction():
        order = locked(Order.select().where(Order.id == order_id)).first()
        if order is None or not is_admitted_order(order) or not order.send_ticket:
            return 0  # send_ticket is off for participants an operator added without email
        already = Outbox.select().where((Outbox.order_id == order.id) & (Outbox.kind == "ticket")).exists()
        if already:  # a replayed signal: the attendee already has these
            return 0
        sent = send_ticket_email(order)
        if content.mail_settings(order.event).send_payment_email and send_payment_email(order) is not None:
            sent.append(None)
    return len(sent)


def bank_transfer_placed(order_id: int) -> bool:
    """An order placed to be paid by bank transfer: the buyer gets the payment instructions (the
    organization's account, the amount, the order code as reference, the deadline in the event's
    time zone) and the order link. Once per order, and only while it awaits the transfer."""
    with write_transaction():
        order = locked(Order.select().where(Order.id == order_id)).first()
        if order is None or order.status != "pending" or order.gateway != "bank" or order.total <= 0:
            return False
        if Outbox.select().where((Outbox.order_id == order.id) & (Outbox.kind == "bank_transfer")).exists():
            return False  # a replayed signal
        bank = bank_details_for(order.organization_id, order.event_id)
        if bank is None:
            log.warning("order %s awaits a bank transfer but the bank account cannot be read", order.code)
            return False
        send_bank_transfer_email(order, bank)
    return True


def send_bank_transfer_email(order: Order, bank: BankDetails) -> Outbox:
    event = order.event
    lang = display.language(order.locale)
    values = {
        "order": order,
        "bank": bank,
        "event_name": display.translated(event, "name", lang),
        "organization_name": event.organization.name,
        "amount": display.price(order.total, order.currency, lang),
        "deadline": _deadline(order, lang),
        "order_url": links.order_url(order),
    }
    with force_locale(lang):
        subject = _(
            "Payment instructions for your order %(code)s: %(event)s", code=order.code, event=values["event_name"]
        )
        text_body = render_template("email/orders/bank_transfer.txt", **values)
        body = render_template("email/orders/bank_transfer.html", **values)
        html_body = render_template(
            "email/mail/layout.html", body=body, subject=subject, org=event.organization, lang=lang, unsubscribe=None
        )
    return queue_email(
        kind="bank_transfer",
        to_email=order.buyer_email,
        to_name=order.buyer_name,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        organization=event.organization,
        event_id=event.id,
        order_id=order.id,
        send_key="bank_transfer",
        **content.sender(event),
    )


def _deadline(order: Order, lang: str) -> str:
    """When the order's hold ends, in the event's time zone, e.g. "5 December 2026, 18:30 (Asia/Jakarta)"."""
    if order.expires_at is None:
        return ""
    tz = order.event.timezone
    local = format_datetime(order.expires_at.replace(tzinfo=dt.UTC), "d MMMM y, HH:mm", tzinfo=zone(tz), locale=lang)
    return f"{local} ({tz})"
