"""A participant's state on an event, in one vocabulary for the registrant list, the contact page
and the API.

Derived from what is stored (nothing kept twice): a registrant's order (status, approval), the
registrant (canceled, checked in) and the event's end; an invitation that made no registration
yet is `invited`, or `declined` once the invitee said no from its link (`Invitation.declined_at`).
The first rule that applies wins, in this order:

declined (the invitation or the acceptance was declined) · canceled (the registrant, or an order
canceled, refunded or expired) · awaiting_acceptance · checked_in · no_show (the event is over,
the ticket paid and never scanned) · accepted (an operator accepted the registration) ·
registered."""

from __future__ import annotations

import datetime as dt

import peewee as pw

from webapp.catalog.models import ParticipantGroup
from webapp.db import utcnow
from webapp.events.models import Event
from webapp.i18n import _l
from webapp.orders.groups import in_group
from webapp.orders.models import Invitation, Order, Registrant

STATES = (
    "invited", "registered", "awaiting_acceptance", "accepted", "declined", "canceled", "checked_in", "no_show",
)  # fmt: skip
REGISTRANT_STATES = tuple(s for s in STATES if s != "invited")
LABELS = {
    "invited": _l("invited"),
    "registered": _l("registered"),
    "awaiting_acceptance": _l("awaiting acceptance"),
    "accepted": _l("accepted"),
    "declined": _l("declined"),
    "canceled": _l("canceled"),
    "checked_in": _l("checked in"),
    "no_show": _l("no-show"),
}
ENDED_ORDERS = ("canceled", "refunded", "expired")


def of_registrant(registrant: Registrant, order: Order, event: Event, now: dt.datetime | None = None) -> str:
    now = now or utcnow()
    if order.approval == "declined":
        return "declined"
    if registrant.canceled or order.status in ENDED_ORDERS:
        return "canceled"
    if order.approval == "pending":
        return "awaiting_acceptance"
    if registrant.checked_in_at is not None:
        return "checked_in"
    if order.status == "paid" and now >= event.ends_at:
        return "no_show"
    if order.approval == "approved":
        return "accepted"
    return "registered"


def of_invitation(invitation: Invitation) -> str | None:
    """`invited` or `declined` for a personal invitation that made no registration (None: it was
    used, revoked, or is a shared code)."""
    if not invitation.email or invitation.revoked_at or invitation.times_used >= invitation.max_uses:
        return None
    return "declined" if invitation.declined_at else "invited"


def condition(state: str, event: Event, now: dt.datetime | None = None) -> pw.Expression:
    """Registrants of `event` in `state` (a WHERE condition on Registrant joined to its Order),
    the same rules as `of_registrant`."""
    now = now or utcnow()
    declined = Order.approval == "declined"
    canceled = ~declined & ((Registrant.canceled == True) | Order.status.in_(ENDED_ORDERS))  # noqa: E712
    live = ~declined & (Registrant.canceled == False) & Order.status.not_in(ENDED_ORDERS)  # noqa: E712
    awaiting = live & (Order.approval == "pending")
    active = live & (Order.approval != "pending")
    checked_in = active & Registrant.checked_in_at.is_null(False)
    not_in = active & Registrant.checked_in_at.is_null()
    over = now >= event.ends_at
    no_show = not_in & (Order.status == "paid") if over else pw.SQL("1 = 0")
    later = not_in & ~(Order.status == "paid") if over else not_in
    return {
        "declined": declined,
        "canceled": canceled,
        "awaiting_acceptance": awaiting,
        "checked_in": checked_in,
        "no_show": no_show,
        "accepted": later & (Order.approval == "approved"),
        "registered": later & (Order.approval != "approved"),
    }[state]


def open_invitations(event: Event) -> pw.Select:
    """The event's personal invitations that made no registration yet and were not revoked."""
    return Invitation.select().where(
        (Invitation.event == event.id)
        & (Invitation.email != "")
        & Invitation.revoked_at.is_null()
        & (Invitation.times_used < Invitation.max_uses)
    )


def counts(event: Event, group: ParticipantGroup | None = None) -> dict[str, int]:
    """How many participants of the event (of one group) are in each state: registrants by the
    rules above, open personal invitations as `invited` or `declined`."""
    base = Registrant.select(Registrant.id).join(Order, on=(Order.id == Registrant.order))
    where = Registrant.event == event.id
    invitations = open_invitations(event)
    if group is not None:
        where &= in_group(group)
        own = Invitation.group == group.id
        invitations = invitations.where(own | Invitation.group.is_null() if group.is_default else own)
    now = utcnow()
    out = {state: base.where(where & condition(state, event, now)).count() for state in REGISTRANT_STATES}
    declined = invitations.where(Invitation.declined_at.is_null(False)).count()
    out["invited"] = invitations.count() - declined
    out["declined"] += declined
    return {state: out[state] for state in STATES}
