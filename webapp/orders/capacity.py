"""Seats: how many are left, and taking them without ever overselling.

A seat is taken by an order item that is not canceled, in an order that is paid, or pending and
not yet past its hold (`expires_at`; a pending order without one — awaiting approval — holds its
seats until decided). A waiting-list offer that has not lapsed holds one seat of its product too.

Limits: each product's quota, and the event's capacity, which counts the units of products that
admit entry (add-ons never count against it).

`reserve` is the one place where seats are taken: it runs inside `write_transaction()` (SQLite:
BEGIN IMMEDIATE serializes writers; PostgreSQL: the event row and the product rows are locked FOR
NO KEY UPDATE, which lets a door scan's check-in row point at the event meanwhile), so the check
and the caller's inserts that follow commit together or not at all. Its other form, on
PostgreSQL, is `write_and_count` then `check_written`: the caller's inserts go first, under the
same lock, and the same check decides on the count less what they took (a refused order rolls
back with its rows).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import peewee as pw
from flask import current_app, has_app_context

from webapp.catalog.models import Product
from webapp.db import Prepared, Slot, db, is_postgres, locked, utcnow
from webapp.events.models import Event
from webapp.orders.models import Order, OrderItem, SeatTally, WaitingListEntry


class SoldOut(Exception):
    """Not enough seats: `product_id` names the product, None means the event-wide capacity."""

    def __init__(self, product_id: int | None, available: int = 0):
        self.product_id = product_id
        self.available = max(available, 0)
        super().__init__(
            f"product {product_id} has {self.available} seat(s) left"
            if product_id is not None
            else f"the event has {self.available} seat(s) left"
        )


def holding_orders(now):
    """Orders whose items hold seats right now (a WHERE condition on Order)."""
    return (Order.status == "paid") | (
        (Order.status == "pending") & (Order.expires_at.is_null() | (Order.expires_at > now))
    )


def released_orders(now):
    """Orders whose items hold no seat (any status but paid and pending, or pending past its
    hold): exactly the orders `holding_orders` leaves out. Written as "not paid" first, the
    condition of the partial index of an event's unpaid orders (`order_event_id_unpaid`): the
    seat count finds them there however little the planner knows of the event, and a sold-out
    event's paid orders are never visited. ("paid" is written into the statement, not sent as a
    parameter: a prepared statement's plan for any parameter could not use that index.)"""
    not_paid = Order.status != pw.SQL("'paid'")
    return not_paid & ((Order.status != "pending") | (Order.expires_at <= now))


def _sold() -> pw.Node:
    """The seats the product (the outer query's) has sold: its items that are not canceled, in
    orders that hold seats.

    The items that are not canceled are kept by the database in the product's `SeatTally` row;
    from them go those of the event's released orders (canceled, expired, refunded, or pending
    past the hold), found among its unpaid orders (`released_orders`), and their items by order.
    A sold-out event's paid orders and sold items are never visited: under the seat lock, the
    lock and the count take the same time at 3,000 or 20,000 seats sold (0.5 ms on PostgreSQL,
    0.1 ms on SQLite), where counting the items took 2–5 ms and 1.2–5.6 ms. An order's items are
    always of its own event's products."""
    now = Slot("now", Order.expires_at.db_value)
    live_items = (OrderItem.product == Product.id) & (OrderItem.canceled == False)  # noqa: E712
    tally = SeatTally.select(SeatTally.live_items).where(SeatTally.product == Product.id)
    # The released orders first, then their items by order: CROSS JOIN keeps that order on SQLite
    # (its planner would otherwise walk every item of the product); PostgreSQL plans it as a join.
    given_back = (
        Order.select(pw.fn.COUNT(OrderItem.id))
        .join(OrderItem, pw.JOIN.CROSS)
        .where((OrderItem.order == Order.id) & live_items & (Order.event == Slot("event")) & released_orders(now))
    )
    return pw.Expression(tally, "-", given_back)


def seats_query(*more: pw.Node) -> pw.Select:
    """Every product of the event (ordered by id) with the seats it has taken, as one statement:
    `sold` (order items holding a seat), `offered` (live waiting-list offers, but the one being
    redeemed), the event's `event_capacity` and its `per_email_limit` (orders.per_email), all
    read by the same statement. `more`: columns a caller reads in the same statement, under the
    same lock (a participant group's seats: orders.groups), each an attribute of every row."""
    now = Slot("now", Order.expires_at.db_value)
    offered = WaitingListEntry.select(pw.fn.COUNT(WaitingListEntry.id)).where(
        (WaitingListEntry.product == Product.id)
        & (WaitingListEntry.status == "offered")
        & (WaitingListEntry.offer_expires_at > now)
        & (WaitingListEntry.id != Slot("offer"))
    )
    event_capacity = Event.select(Event.capacity).where(Event.id == Slot("event"))
    per_email_limit = Event.select(Event.max_registrations_per_email).where(Event.id == Slot("event"))
    return (
        Product.select(
            Product,
            _sold().alias("sold"),
            offered.alias("offered"),
            event_capacity.alias("event_capacity"),
            per_email_limit.alias("per_email_limit"),
            *more,
        )
        .where(Product.event == Slot("event"))
        .order_by(Product.id)
    )


SEATS_OF_EVENT = Prepared(seats_query)
# PostgreSQL: the product rows locked too (run after the event row's lock, see _locked_seats).
SEATS_OF_EVENT_LOCKED = Prepared(lambda: locked(seats_query()))
EVENT_ROW_LOCK = Prepared(lambda: locked(Event.select(Event.id).where(Event.id == Slot("event"))))


@dataclass
class Seats:
    """An event's products (by id) with the seats each has taken, the event-wide capacity and
    the event's limit of registrations per email address (read with them, under the same lock)."""

    products: list[Product]
    taken: dict[int, int]
    capacity: int | None
    per_email_limit: int | None
    recent: bool = False  # a copy of this process's last count under the lock (`seats(recent=True)`)

    def left(self) -> dict[int, int | None]:
        """Seats left per product id (None: unlimited), the event-wide capacity applied."""
        return _left(self.capacity, self.products, self.taken)[0]

    def event_left(self) -> int | None:
        return _left(self.capacity, self.products, self.taken)[1]

    def check(self, wanted: dict[int, int]) -> None:
        """Raise SoldOut unless `wanted` ({product_id: units}) fits."""
        by_id = {p.id: p for p in self.products}
        for product_id in wanted:
            if product_id not in by_id:
                raise SoldOut(product_id, 0)
        for product_id, units in sorted(wanted.items()):
            quota = by_id[product_id].quota
            if quota is not None and units > quota - self.taken.get(product_id, 0):
                raise SoldOut(product_id, quota - self.taken.get(product_id, 0))
        event_left = self.event_left()
        admitted = sum(n for pid, n in wanted.items() if by_id[pid].admits_entry)
        if event_left is not None and admitted > event_left:
            raise SoldOut(None, event_left)


def _seats(
    query: Prepared, event: Event, offer_id: int | None, *, after: tuple = (), more: dict | None = None
) -> Seats:
    products = query.rows(event=event.id, now=utcnow(), offer=offer_id or 0, after=after, **(more or {}))
    first = products[0] if products else None
    return Seats(
        products,
        {p.id: p.sold + p.offered for p in products},
        first.event_capacity if first else event.capacity,
        first.per_email_limit if first else event.max_registrations_per_email,
    )


def _left(
    capacity: int | None, products: list[Product], taken: dict[int, int]
) -> tuple[dict[int, int | None], int | None]:
    admitted = sum(taken.get(p.id, 0) for p in products if p.admits_entry)
    event_left = None if capacity is None else max(capacity - admitted, 0)
    left: dict[int, int | None] = {}
    for product in products:
        own = None if product.quota is None else max(product.quota - taken.get(product.id, 0), 0)
        if product.admits_entry and event_left is not None:
            own = event_left if own is None else min(own, event_left)
        left[product.id] = own
    return left, event_left


RECENT = 2.0  # seconds a count under the lock stands in for a form's first check (`seats(recent=True)`)


def seats(event: Event, *, exclude_offer_id: int | None = None, recent: bool = False) -> Seats:
    """The seats of `event` as committed now, in one statement (no lock: what a page shows, or a
    first check before `reserve`). `exclude_offer_id`: as seen by the holder of that
    waiting-list offer (its seat is theirs).

    `recent`: for a form's first check, which only spares a sold-out form the wait for the lock
    (`reserve` decides, under the lock, on the database): the seats this process counted under
    the lock in the last `RECENT` seconds, at the event's current page version (an edit of a
    product or of the event bumps it), stand in for a count of its own. In a sale that is the
    count one registration before; the heaviest statement of a registration is not sent twice.
    The caller counts afresh when these seats refuse (`Seats.recent` says which it got)."""
    if recent and exclude_offer_id is None:
        kept = _recent_counts().get(event.id)
        if kept is not None and kept[1] == event.page_version and time.monotonic() - kept[0] < RECENT:
            return kept[2]
    return _seats(SEATS_OF_EVENT, event, exclude_offer_id)


def _recent_counts() -> dict[int, tuple[float, int, Seats]]:
    """{event id: (when, page version, seats)} of this app's counts under the lock (one per app:
    tests build many apps in one process, on databases whose ids repeat)."""
    if not has_app_context():
        return {}
    return current_app.extensions.setdefault("rollcall_recent_seats", {})


def _remember(event: Event, counted: Seats, offer_id: int | None, taking: dict[int, int]) -> None:
    """Keep the seats counted under the lock, with those this transaction takes (`taking`) as
    taken: should it roll back, a form refused by the copy is counted afresh; a copy without
    them would send the next buyer of the last seat to wait for the lock."""
    if offer_id is not None:
        return  # counted as the holder of an offer sees them
    taken = dict(counted.taken)
    for product_id, units in taking.items():
        taken[product_id] = taken.get(product_id, 0) + units
    kept = Seats(counted.products, taken, counted.capacity, counted.per_email_limit, recent=True)
    _recent_counts()[event.id] = (time.monotonic(), event.page_version, kept)


def availability(event: Event, *, exclude_offer_id: int | None = None) -> dict[int, int | None]:
    """Seats left per product id of `event` (None: unlimited), the event-wide capacity applied.
    `exclude_offer_id`: as seen by the holder of that waiting-list offer (its seat is theirs)."""
    return seats(event, exclude_offer_id=exclude_offer_id).left()


def event_seats_left(event: Event) -> int | None:
    """Seats left under the event-wide capacity (None: no capacity set)."""
    return seats(event).event_left()


def _locked_seats(event: Event, offer_id: int | None, read_with: tuple[Prepared, dict] | None = None) -> Seats:
    """The seats taken as committed now, under the write lock. SQLite: the transaction's BEGIN
    IMMEDIATE already serializes writers, one statement reads it all. PostgreSQL: lock the event
    row first — every writer that takes seats does, so once it is ours they have all committed —
    then read the counts in a new statement (its snapshot starts after the lock) with the product
    rows locked by id. Both statements go in one round trip: the lock is held that much less.
    `read_with`: a locked `seats_query` with more columns, and the values of its own slots."""
    query, more = read_with or (SEATS_OF_EVENT_LOCKED, None)
    if is_postgres():
        return _seats(query, event, offer_id, after=((EVENT_ROW_LOCK, {"event": event.id}),), more=more)
    return _seats(query, event, offer_id, more=more)


def lock_seats(event: Event) -> None:
    """Take the event's seat lock for a writer that hands seats out other than through `reserve`
    (a waiting-list offer holds one) or changes an order item's seat (canceled, another product):
    on PostgreSQL the event row, which every such writer locks first (the items' `SeatTally` rows,
    which the database updates with them, are then locked after it, never before); SQLite's write
    transaction holds the write lock already. Counts read after it see every seat taken before."""
    _require_transaction("lock_seats")
    if is_postgres():
        EVENT_ROW_LOCK.execute(event=event.id)


def _require_transaction(name: str) -> None:
    if not db.in_transaction():
        raise RuntimeError(f"capacity.{name} must run inside webapp.db.write_transaction()")


def reserve(
    event: Event, wanted: dict[int, int], *, offer_id: int | None = None, read_with: tuple[Prepared, dict] | None = None
) -> Seats | None:
    """Check that `wanted` ({product_id: units}) fits; raise SoldOut otherwise. Call it inside
    `write_transaction()` and insert the order items before that transaction ends. `offer_id`:
    a waiting-list offer being redeemed — its own held seat is available to this order. Returns
    the seats it read under the lock (None when nothing was wanted). `read_with`: the statement
    that reads them, a locked `seats_query(...)` with more columns, and its own slots' values
    (the caller reads those columns on the rows of `Seats.products`)."""
    _require_transaction("reserve")
    wanted = {pid: n for pid, n in wanted.items() if n > 0}
    if not wanted:
        return None
    seats = _locked_seats(event, offer_id, read_with)
    _decide(event, seats, offer_id, wanted)
    return seats


def _decide(event: Event, seats: Seats, offer_id: int | None, wanted: dict[int, int]) -> None:
    """`seats.check(wanted)`, the seats kept for the next forms' first check (`_remember`), with
    `wanted` taken when it fits."""
    try:
        seats.check(wanted)
    except SoldOut:
        _remember(event, seats, offer_id, {})
        raise
    _remember(event, seats, offer_id, wanted)


def write_and_count(event: Event, writes: tuple[tuple[Prepared, dict], ...], read_with: tuple[Prepared, dict]) -> Seats:
    """PostgreSQL: `reserve` for a caller that writes first. The event's lock, the caller's
    statements that take seats (`writes`, in order: its rows, order items among them) and the
    count (`read_with`: a locked `seats_query(...)` and its own slots' values) go in one round trip;
    the seats counted include the write's. Then `check_written` decides, as `reserve` does, on
    the count less what the write took; when it refuses, the caller's transaction rolls back and
    its rows with it. A write that may write nothing (a unique value taken) says whether it did
    in a column of `read_with`, which the caller reads before the check.

    Held this way, the lock waits for one answer and one turn of the caller's Python (the
    check, then COMMIT), where `reserve` holds it over two of each (the count, the caller's
    rows, COMMIT): every buyer of the event waits for the one holding it."""
    _require_transaction("write_and_count")
    query, more = read_with
    return _seats(query, event, None, after=((EVENT_ROW_LOCK, {"event": event.id}), *writes), more=more)


def check_written(event: Event, counted: Seats, wanted: dict[int, int]) -> Seats:
    """The check of `write_and_count`, once its caller knows that its write took `wanted`
    ({product_id: units}): the seats as they were before it (`counted` less `wanted`), checked as
    `reserve` checks them; raise SoldOut when `wanted` did not fit."""
    wanted = {pid: n for pid, n in wanted.items() if n > 0}
    taken = {pid: n - wanted.get(pid, 0) for pid, n in counted.taken.items()}
    before = Seats(counted.products, taken, counted.capacity, counted.per_email_limit)
    _decide(event, before, None, wanted)
    return before


def claim(event: Event, product_id: int, units: int) -> int:
    """Take as many of `units` seats of one product as are left (0 to `units`) and say how many:
    for a caller that adds what fits and reports the rest (a CSV import). Same locks and counts
    as `reserve`: call it inside `write_transaction()` and insert that many order items before
    the transaction ends."""
    _require_transaction("claim")
    if units <= 0:
        return 0
    counted = _locked_seats(event, None)
    left = counted.left()
    if product_id not in left:
        return 0
    claimed = units if left[product_id] is None else min(units, left[product_id])
    _remember(event, counted, None, {product_id: claimed})
    return claimed
