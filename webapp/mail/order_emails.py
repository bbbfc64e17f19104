"""The emails of the order lifecycle: approved, declined, a waiting-list offer, an invitation. The
orders domain announces these moments (signals); the receivers in webapp/mail/receivers.py record
the work, and these functions queue the email when it runs."""

from __future__ import annotations

from webapp.events.models import Event
from webapp.mail.service import queue_email
from webapp.orders.models import Invitation, Order, WaitingListEntry
from webapp.runtime import settings
from webapp.timeutil import to_local


def link(path: str) -> str:
    return settings().base_url + path


def order_link(order: Order) -> str:
    return link(f"/o/{order.secret}")


def landing_link(event: Event, **query) -> str:
    path = f"/e/{event.organization.slug}/{event.slug}"
    if query:
        path += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return link(path)


def _when(event: Event, value) -> str:
    return to_local(value, event.timezone).strftime("%a %d %b %Y, %H:%M") + f" ({event.timezone})"


def _send(event: Event, *, kind: str, to_email: str, to_name: str, subject: str, body: str, order_id=None):
    queue_email(
        kind=kind, to_email=to_email, to_name=to_name, subject=subject, text_body=body,
        organization=event.organization, event_id=event.id, order_id=order_id, send_key=kind,
    )  # fmt: skip


def approved(order_id: int) -> None:
    order = Order.get_or_none(Order.id == order_id)
    if order is None:
        return
    event = order.event
    if order.status == "paid":
        next_step = "Your tickets follow in a separate email."
    else:
        next_step = f"Complete your payment here to keep your place:\n{order_link(order)}"
    _send(
        event, kind="order.approved", to_email=order.buyer_email, to_name=order.buyer_name, order_id=order.id,
        subject=f"You're in: {event.name}",
        body=f"Hello {order.buyer_name},\n\nYour registration {order.code} for {event.name} "
        f"({_when(event, event.starts_at)}) has been accepted.\n\n{next_step}\n",
    )  # fmt: skip


def declined(order_id: int) -> None:
    order = Order.get_or_none(Order.id == order_id)
    if order is None:
        return
    event = order.event
    _send(
        event, kind="order.declined", to_email=order.buyer_email, to_name=order.buyer_name, order_id=order.id,
        subject=f"Your registration for {event.name}",
        body=f"Hello {order.buyer_name},\n\nThank you for your interest in {event.name}. We are sorry: "
        f"we could not accept your registration {order.code} this time.\n",
    )  # fmt: skip


def waitlist_offer(entry_id: int) -> None:
    entry = WaitingListEntry.get_or_none(WaitingListEntry.id == entry_id)
    if entry is None or entry.status != "offered":
        return
    event = entry.event
    _send(
        event, kind="waitlist.offer", to_email=entry.email, to_name=entry.name,
        subject=f"A place opened up: {event.name}",
        body=f"Hello {entry.name},\n\nA place for {entry.product.name} at {event.name} is free, and we are "
        f"holding it for you until {_when(event, entry.offer_expires_at)}.\n\nRegister here:\n"
        f"{link('/w/' + entry.token)}\n\nIf you no longer need it, do nothing: the place goes to the next "
        "person on the waiting list when the time runs out.\n",
    )  # fmt: skip


def invitation(invitation_id: int) -> None:
    inv = Invitation.get_or_none(Invitation.id == invitation_id)
    if inv is None or not inv.email or inv.revoked_at:
        return
    event = inv.event
    _send(
        event, kind="invitation", to_email=inv.email, to_name=inv.name,
        subject=f"You're invited: {event.name}",
        body=f"Hello {inv.name or 'there'},\n\nYou are invited to register for {event.name} "
        f"({_when(event, event.starts_at)}).\n\nRegister with your personal link:\n"
        f"{landing_link(event, invite=inv.code)}\n\nOr enter the code {inv.code} on the event page.\n"
        f"\nNot coming? Let the organizer know: {link('/i/' + inv.code + '/decline')}\n",
    )  # fmt: skip
