"""The event's limit of registrations per email address (`Event.max_registrations_per_email`).

A registration counts against its attendee's address and against the address of the buyer who
ordered it (once when they are the same): one address can neither be registered more than N times
nor order more than N tickets under other people's names. Only registrations that hold a seat
count: not canceled, in an order that is paid, or pending within its hold (the capacity rule).

The checkout and the attendee's own edits are limited; operators adding people (console, CSV
import, door walk-ins, API registrants) are trusted and are not. `check` runs inside the caller's
serialized transaction and locks the event row first (PostgreSQL; SQLite's BEGIN IMMEDIATE already
serializes writers), so two orders for one address at the same moment cannot both pass.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

import peewee as pw

from webapp.db import Slot, db, locked, utcnow
from webapp.events.models import Event
from webapp.orders.capacity import holding_orders
from webapp.orders.models import Order, Registrant


class LimitReached(Exception):
    """`address` would hold more than `limit` registrations; it holds `held` already."""

    def __init__(self, address: str, limit: int, held: int):
        self.address, self.limit, self.held = address, limit, held
        super().__init__(f"{address} holds {held} registration(s); the event allows {limit} per address")


def addresses_of(attendee_email: str, buyer_email: str) -> set[str]:
    """The addresses one registration counts against."""
    return {a for a in (attendee_email.strip().lower(), buyer_email.strip().lower()) if a}


def _holding(now) -> pw.Select:
    """(id, attendee email, buyer email) of the registrations that hold a seat at `now` (a
    value, or a prepared statement's slot), of any event: the caller adds its event's condition
    on one side only, the side whose addresses it looks up (an order's registrants are of its
    event). With the event on both sides, PostgreSQL without statistics of the tables yet (a new
    install's first sale, until autovacuum's first ANALYZE) joined each registration of the
    event to each of its orders: 1.2 s a check at 2,000 registrations. On one side, the worst
    seen there is a walk of the event's index (2 ms); with statistics, each side takes its
    address's index (0.2 ms)."""
    return (
        Registrant.select(Registrant.id, Registrant.email, Order.buyer_email)
        .join(Order)
        .where((Registrant.canceled == False) & holding_orders(now))  # noqa: E712
    )


Matching = Callable[[pw.Field], pw.Expression]  # an address field -> "is one of the addresses"


def _by_attendee(event_id, now, matching: Matching) -> pw.Select:
    return _holding(now).where((Registrant.event == event_id) & matching(Registrant.email))


def _by_buyer(event_id, now, matching: Matching) -> pw.Select:
    return _holding(now).where((Order.event == event_id) & matching(Order.buyer_email))


def held(event_id: int, addresses: Iterable[str], *, exclude_registrant_id: int | None = None) -> Counter:
    """Registrations holding a seat that count against each of `addresses`."""
    wanted = sorted({a.strip().lower() for a in addresses if a})
    if not wanted:
        return Counter()
    # Two indexed lookups (attendee email; the order's buyer) rather than one OR over both.
    now, rows = utcnow(), {}
    for lookup in (_by_attendee, _by_buyer):
        query = lookup(event_id, now, lambda field: field.in_(wanted))
        if exclude_registrant_id is not None:
            query = query.where(Registrant.id != exclude_registrant_id)
        rows.update({rid: (email, buyer) for rid, email, buyer in query.tuples()})
    return count_held(rows.values(), wanted)


def held_column() -> pw.Node:
    """PostgreSQL: `held` as a column of a statement that runs with the slots `event`, `now`
    and `addresses` (a list): the registrations holding a seat whose attendee or buyer has one
    of the addresses, as a JSON list of [attendee email, buyer email] (NULL when there are none),
    for `count_held`. A registration written first (orders.checkout) reads it in the statement
    that counts its seats, its own registrations among those it finds."""
    event, now = Slot("event"), Slot("now", Order.expires_at.db_value)

    def one_of(field: pw.Field) -> pw.Expression:
        return field == pw.fn.ANY(Slot("addresses", list))

    matching = (_by_attendee(event, now, one_of) | _by_buyer(event, now, one_of)).alias("held")
    pairs = pw.fn.json_agg(pw.fn.json_build_array(matching.c.email, matching.c.buyer_email))
    return pw.Select(from_list=[matching], columns=[pairs]).alias("held_by_address")


def count_held(pairs: Iterable[tuple[str, str]], addresses: Iterable[str]) -> Counter:
    """How many of the registrations `pairs` ((attendee email, buyer email) each) count against
    each of `addresses`."""
    wanted = set(addresses)
    counts: Counter = Counter()
    for email, buyer in pairs:
        for address in addresses_of(email, buyer) & wanted:
            counts[address] += 1
    return counts


def check(event_id: int, new: list[tuple[str, str]], *, exclude_registrant_id: int | None = None) -> None:
    """Raise LimitReached when adding `new` registrations — (attendee email, buyer email) each —
    would take an address past the event's limit. Call inside `write_transaction()`."""
    if not db.in_transaction():
        raise RuntimeError("per_email.check must run inside webapp.db.write_transaction()")
    limit = locked(Event.select(Event.max_registrations_per_email).where(Event.id == event_id)).scalar()
    check_limit(event_id, new, limit, exclude_registrant_id=exclude_registrant_id)


def check_limit(
    event_id: int, new: list[tuple[str, str]], limit: int | None, *, exclude_registrant_id: int | None = None
) -> None:
    """`check` with the event's limit already read under the write lock (the checkout reads it
    with the seats: `capacity.Seats.per_email_limit`)."""
    if limit is None or not new:
        return
    adding = adding_of(new)
    decide(new, limit, adding, held(event_id, adding, exclude_registrant_id=exclude_registrant_id))


def adding_of(new: list[tuple[str, str]]) -> Counter:
    """How many registrations `new` adds against each address."""
    adding: Counter = Counter()
    for attendee_email, buyer_email in new:
        adding.update(addresses_of(attendee_email, buyer_email))
    return adding


def decide(new: list[tuple[str, str]], limit: int, adding: Counter, holding: Counter) -> None:
    """Raise LimitReached for the first address (the buyer's first) that `adding` would take
    past `limit`, on top of the registrations `holding` it holds already."""
    for address in sorted(adding, key=lambda a: (a != new[0][1].strip().lower(), a)):  # the buyer first
        if holding[address] + adding[address] > limit:
            raise LimitReached(address, limit, holding[address])
