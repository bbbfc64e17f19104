"""The waiting list: people wait for a sold-out product; freed seats are offered in list order.

An offer holds one seat (capacity counts it as taken) until `offer_expires_at`; an offer not used
in time lapses and the seat goes to the next person. Offers are made from seats that are left,
with the offers already out counted as taken, so there are never more seats offered than freed.
"""

from __future__ import annotations

import datetime as dt

import peewee as pw

from webapp import signals
from webapp.accounts import audit
from webapp.accounts.models import User
from webapp.catalog.models import Product
from webapp.db import db, utcnow, write_transaction
from webapp.email_address import is_valid_email
from webapp.events.models import Event
from webapp.guards import person_name_problem
from webapp.i18n import _, stored_text
from webapp.orders import capacity
from webapp.orders.codes import new_link_secret
from webapp.orders.models import WaitingListEntry

OFFER_HOURS = 24  # how long an offered seat is held for the person it was offered to


class WaitlistError(ValueError):
    pass


def join(event: Event, product: Product, *, name: str, email: str, locale: str = "en") -> WaitingListEntry:
    """Put someone on the list of a sold-out product (once per email and product)."""
    name, email = (name or "").strip(), (email or "").strip().lower()
    errors = {}
    problem = person_name_problem(name) if name else _("Enter your name.")
    if problem:
        errors["name"] = problem
    if not is_valid_email(email):
        errors["email"] = _("Enter an email address such as ana@example.org.")
    if errors:
        raise WaitlistError(errors)
    with write_transaction():
        if capacity.availability(event).get(product.id) != 0:
            raise WaitlistError({"": _("Seats are available: register now instead.")})
        existing = WaitingListEntry.get_or_none(
            (WaitingListEntry.product == product.id)
            & (WaitingListEntry.email == email)
            & WaitingListEntry.status.in_(("waiting", "offered"))
        )
        if existing:
            return existing
        last = (
            WaitingListEntry.select(pw.fn.MAX(WaitingListEntry.position))
            .where(WaitingListEntry.event == event.id)
            .scalar()
        )
        return WaitingListEntry.create(
            organization=event.organization_id, event=event, product=product, name=name, email=email,
            locale=locale, position=(last or 0) + 1, token=new_link_secret(),
        )  # fmt: skip


def waiting(event: Event):
    return (
        WaitingListEntry.select(WaitingListEntry, Product)
        .join(Product)
        .where((WaitingListEntry.event == event.id) & WaitingListEntry.status.in_(("waiting", "offered")))
        .order_by(WaitingListEntry.position, WaitingListEntry.id)
    )


def offer_freed_seats(event: Event, now: dt.datetime | None = None) -> list[WaitingListEntry]:
    """Offer the seats that are left to the next people waiting, in list order. Must run in the
    transaction that freed them (so nobody else takes them first); emails go after commit."""
    assert db.in_transaction(), "offer_freed_seats runs inside the transaction that freed seats"
    capacity.lock_seats(event)  # an offer holds a seat: no checkout may count it as free meanwhile
    now = now or utcnow()
    queue = list(
        WaitingListEntry.select()
        .where((WaitingListEntry.event == event.id) & (WaitingListEntry.status == "waiting"))
        .order_by(WaitingListEntry.position, WaitingListEntry.id)
    )
    offered = []
    full: set[int] = set()
    for entry in queue:
        if entry.product_id in full:
            continue
        left = capacity.availability(event).get(entry.product_id)
        if left == 0:
            full.add(entry.product_id)
            continue
        entry.status, entry.offered_at = "offered", now
        entry.offer_expires_at = now + dt.timedelta(hours=OFFER_HOURS)
        entry.save()
        signals.emit(signals.waitlist_offered, entry_id=entry.id)
        offered.append(entry)
    return offered


def lapse_offers(now: dt.datetime | None = None) -> int:
    """Offers not used in time lapse; their seats go to the next people. Returns how many lapsed."""
    now = now or utcnow()
    events = {
        e.event_id
        for e in WaitingListEntry.select(WaitingListEntry.event)
        .where((WaitingListEntry.status == "offered") & (WaitingListEntry.offer_expires_at <= now))
        .distinct()
    }
    lapsed = 0
    for event_id in events:
        with write_transaction():
            lapsed += (
                WaitingListEntry.update(status="lapsed")
                .where(
                    (WaitingListEntry.event == event_id)
                    & (WaitingListEntry.status == "offered")
                    & (WaitingListEntry.offer_expires_at <= now)
                )
                .execute()
            )
            offer_freed_seats(Event.get_by_id(event_id), now)
    return lapsed


def offer_where_seats_opened() -> int:
    """Seats can also open without a cancellation (a raised quota): offer them to those waiting."""
    event_ids = {
        e.event_id
        for e in WaitingListEntry.select(WaitingListEntry.event).where(WaitingListEntry.status == "waiting").distinct()
    }
    count = 0
    for event_id in event_ids:
        with write_transaction():
            count += len(offer_freed_seats(Event.get_by_id(event_id)))
    return count


def move(entry: WaitingListEntry, direction: int, *, actor: User | None) -> None:
    """Swap the entry with its neighbour above (-1) or below (+1) among those still waiting."""
    with write_transaction():
        rows = list(waiting(entry.event))
        index = next(i for i, row in enumerate(rows) if row.id == entry.id)
        other_index = index + direction
        if not 0 <= other_index < len(rows):
            return
        this, other = rows[index], rows[other_index]
        if this.position == other.position:  # equal positions: renumber first
            for i, row in enumerate(rows):
                WaitingListEntry.update(position=i + 1).where(WaitingListEntry.id == row.id).execute()
                row.position = i + 1
        WaitingListEntry.update(position=other.position).where(WaitingListEntry.id == this.id).execute()
        WaitingListEntry.update(position=this.position).where(WaitingListEntry.id == other.id).execute()
        audit.record(
            entry.organization_id, "waitlist.reorder", user=actor, target=entry,
            summary=stored_text("Moved %(entry)s up", entry=entry.name) if direction < 0 else stored_text("Moved %(entry)s down", entry=entry.name),
        )  # fmt: skip


def remove(entry: WaitingListEntry, *, actor: User | None) -> None:
    with write_transaction():
        held = entry.status == "offered"
        WaitingListEntry.update(status="removed").where(WaitingListEntry.id == entry.id).execute()
        audit.record(
            entry.organization_id,
            "waitlist.remove",
            user=actor,
            target=entry,
            summary=stored_text("Removed %(entry)s", entry=entry.name),
        )
        if held:
            offer_freed_seats(entry.event)
