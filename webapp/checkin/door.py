"""What the door does besides scanning: find a person, show what must be seen, register a walk-in,
take payment at the door."""

from __future__ import annotations

from dataclasses import dataclass

import peewee as pw
from flask import has_request_context

from webapp.accounts.models import User
from webapp.catalog.models import Product
from webapp.checkin import queries
from webapp.checkin.answer_words import ANSWER_WORDS
from webapp.checkin.models import Attendance, Checkin, CheckinList
from webapp.checkin.service import Answer, NotAllowed, is_supervisor, redeem
from webapp.db import db
from webapp.events.i18n import current_locale
from webapp.events.models import Event
from webapp.i18n import _
from webapp.money import format_money
from webapp.orders.models import Order, Registrant
from webapp.orders.service import add_participants, mark_paid_manually

SEARCH_LIMIT = 25


class WalkInError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def search(event: Event, text: str, checkin_list: CheckinList | None = None, limit: int = SEARCH_LIMIT) -> list:
    """Registrants of the event whose name or email contains `text`, or whose order code is it.
    Each comes with its attendance on `checkin_list` (attribute `attendance`, or None)."""
    text = " ".join(text.split())[:100]
    if len(text) < 2:
        return []
    match = Registrant.name.contains(text) | Registrant.email.contains(text) | (Order.code == text.upper())
    rows = list(
        Registrant.select(Registrant, Order, Product)
        .join(Order)
        .switch(Registrant)
        .join(Product)
        .where((Registrant.event == event.id) & match)
        .order_by(Registrant.name, Registrant.id)
        .limit(limit)
    )
    attendance = {}
    if checkin_list is not None and rows:
        attendance = {
            a.registrant_id: a
            for a in Attendance.select().where(
                (Attendance.checkin_list == checkin_list) & Attendance.registrant.in_([r.id for r in rows])
            )
        }
    for row in rows:
        row.attendance = attendance.get(row.id)
    return rows


def door_answers(registrant: Registrant) -> list[tuple[str, str]]:
    """The answers the operator chose to show at the door (Question.show_at_checkin), as
    (label, text) pairs, per-attendee answers from the registrant, per-order ones from the order."""
    if not registrant.answers and not registrant.order.answers:
        return []  # nothing answered, nothing to show
    shown = []
    for question in queries.QUESTIONS_SHOWN_AT_CHECKIN.rows(event=registrant.event_id):
        source = registrant.answers if question.per_attendee else registrant.order.answers
        value = (source or {}).get(str(question.id), (source or {}).get(question.id))
        if value in (None, "", []):
            continue
        shown.append((question.label, _plain(value)))
    return shown


def _plain(value) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def answer_payload(answer: Answer) -> dict:
    """The answer as the scanner page and integrations read it; times stay datetimes (the API's
    ScanAnswer declaration writes them as JSON)."""
    registrant = answer.registrant
    checkin = answer.checkin
    colour = "amber" if answer.needs_attention else ("green" if answer.ok else "red")
    body = {
        "result": answer.result,
        "reason": answer.reason,
        "kind": answer.kind,
        "colour": colour,
        "message": answer_message(answer.kind if answer.ok else answer.reason),
        "needs_attention": answer.needs_attention,
        "replayed": answer.replayed,
        "checkin": None,
        "previous": None,
        "registrant": None,
    }
    if checkin is not None:
        body["checkin"] = {
            "id": checkin.id,
            "at": checkin.created_at,
            "gate": checkin.gate,
            "forced": checkin.forced,
            "list_id": checkin.checkin_list_id,
        }
    if answer.previous:
        body["previous"] = {"at": answer.previous.get("at"), "gate": answer.previous.get("gate") or ""}
    if registrant is not None:
        body["registrant"] = registrant_payload(registrant)
    return body


def _locale() -> str:
    return current_locale() if has_request_context() else "en"


def registrant_payload(registrant: Registrant) -> dict:
    order = registrant.order
    return {
        "id": registrant.id,
        "name": registrant.name,
        "email": registrant.email,
        "product": registrant.product.name,
        "order_code": registrant.order.code,
        "order_id": registrant.order_id,
        "order_status": registrant.order.status,
        # What "Mark paid & check in" collects: the order's total, in minor units and in words.
        "order_total": order.total,
        "order_currency": order.currency,
        "order_total_text": format_money(order.total, order.currency, _locale()) if order.currency else "",
        "checked_in_at": registrant.checked_in_at,
        "answers": [{"label": label, "value": value} for label, value in door_answers(registrant)],
    }


def answer_message(key: str) -> str:
    """The words for an answer (`ok` kinds and error reasons) in the request's language."""
    return _(ANSWER_WORDS[key].msgid)


def answer_messages() -> dict[str, str]:
    return {key: answer_message(key) for key in ANSWER_WORDS}


@dataclass
class WalkIn:
    registrant: Registrant
    answer: Answer


def register_walk_in(
    event: Event,
    product: Product,
    *,
    name: str,
    email: str,
    paid: bool,
    send_ticket: bool,
    checkin_list: CheckinList | None,
    gate: str,
    user: User | None,
) -> WalkIn:
    """Register someone at the door and check them in at once. A priced ticket must be paid at the
    door, which only a supervisor may record."""

    name, email = " ".join((name or "").split()), (email or "").strip()
    if not name:
        raise WalkInError(_("Enter the person's name."), "name")
    if "@" not in email or "." not in email.rpartition("@")[2]:
        raise WalkInError(_("Enter a valid email address."), "email")
    if product.event_id != event.id or not product.admits_entry:
        raise WalkInError(_("Choose a ticket type of this event."), "product")
    priced = product.price > 0
    if priced and not paid:
        raise WalkInError(_("This ticket has a price: take payment and tick 'paid at the door'."), "paid")
    if priced and not is_supervisor(user, event.organization_id):
        raise NotAllowed(_("Only a door supervisor (manager or above) may take payment at the door."))
    with db.atomic():
        order = add_participants(
            event,
            product,
            [{"name": name, "email": email, "answers": {}}],
            source="door",
            paid=True,  # free, or paid at the door (checked above)
            send_ticket=send_ticket,
            actor=user,
        )
        registrant = order.registrants.order_by(Registrant.id.desc()).get()
    answer = redeem(event, registrant.ticket_secret, checkin_list=checkin_list, gate=gate, user=user)
    return WalkIn(registrant=answer.registrant or registrant, answer=answer)


def mark_paid_at_door(registrant: Registrant, *, user: User | None) -> Order:
    """Record that the registrant's order was paid at the door (supervisors only)."""

    if not is_supervisor(user, registrant.organization_id):
        raise NotAllowed(_("Only a door supervisor (manager or above) may mark an order paid."))
    order = registrant.order
    if order.status == "paid":
        return order
    mark_paid_manually(order, actor=user, gateway="door")
    return Order.get_by_id(order.id)


def registrant_for_event(event: Event, registrant_id: int) -> Registrant:
    return (
        Registrant.select(Registrant, Order, Product)
        .join(Order)
        .switch(Registrant)
        .join(Product)
        .where((Registrant.id == registrant_id) & (Registrant.event == event.id))
        .get()
    )


def recent_checkins(event: Event, checkin_list: CheckinList, *, limit: int = 15) -> list:

    return list(
        Checkin.select(Checkin, Registrant)
        .join(Registrant, pw.JOIN.LEFT_OUTER)
        .where((Checkin.event == event.id) & (Checkin.checkin_list == checkin_list))
        .order_by(Checkin.created_at.desc(), Checkin.id.desc())
        .limit(limit)
    )
