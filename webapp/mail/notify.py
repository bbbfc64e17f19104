"""The emails an attendee gets from an event: ticket, payment confirmation and automations (the
check-in confirmation is the check-in domain's: webapp/checkin/emails.py). Each is an outbox row
for one registrant, in the language of their order."""

from __future__ import annotations

import logging

from webapp.accounts import audit
from webapp.db import db, locked, write_transaction
from webapp.mail import content
from webapp.mail.models import Outbox
from webapp.mail.service import queue_email
from webapp.orders.models import Order, Registrant
from webapp.tickets import display
from webapp.tickets.service import admitted_registrants, is_admitted_order

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
            summary=f"Resent the ticket of {registrant.name} to {registrant.email}",
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
