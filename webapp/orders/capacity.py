"""Seats: how many are left, and taking them without ever overselling.

A seat is taken by an order item that is not canceled, in an order that is paid, or pending and
not yet past its hold (`expires_at`; a pending order without one — awaiting approval — holds its
seats until decided). A waiting-list offer that has not lapsed holds one seat of its product too.

Limits: each product's quota, and the event's capacity, which counts the units of products that
admit entry (add-ons never count against it).

`reserve` is the one place where seats are taken: it runs inside `write_transaction()` (SQLite:
BEGIN IMMEDIATE serializes writers; PostgreSQL: the product rows and the event row are locked FOR
UPDATE), so the check and the caller's inserts that follow commit together or not at all.
"""

from __future__ import annotations

import peewee as pw

from webapp.catalog.models import Product
from webapp.db import Prepared, Slot, db, is_postgres, locked, utcnow
from webapp.events.models import Event
from webapp.orders.models import Order, OrderItem, WaitingListEntry


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


def _seats_query() -> pw.Select:
    """Every product of the event (ordered by id) with the seats it has taken, as one statement:
    `sold` (order items holding a seat), `offered` (live waiting-list offers, but the one being
    redeemed) and the event's `event_capacity`, all read by the same statement."""
    now = Slot("now", Order.expires_at.db_value)
    sold = (
        OrderItem.select(pw.fn.COUNT(OrderItem.id))
        .join(Order)
        .where((OrderItem.product == Product.id) & (OrderItem.canceled == False) & holding_orders(now))  # noqa: E712
    )
    offered = WaitingListEntry.select(pw.fn.COUNT(WaitingListEntry.id)).where(
        (WaitingListEntry.product == Product.id)
        & (WaitingListEntry.status == "offered")
        & (WaitingListEntry.offer_expires_at > now)
        & (WaitingListEntry.id != Slot("offer"))
    )
    event_capacity = Event.select(Event.capacity).where(Event.id == Slot("event"))
    return (
        Product.select(Product, sold.alias("sold"), offered.alias("offered"), event_capacity.alias("event_capacity"))
        .where(Product.event == Slot("event"))
        .order_by(Product.id)
    )


SEATS_OF_EVENT = Prepared(_seats_query)
# PostgreSQL: the product rows locked too (run after the event row's lock, see _locked_counts).
SEATS_OF_EVENT_LOCKED = Prepared(lambda: locked(_seats_query()))
EVENT_ROW_LOCK = Prepared(lambda: Event.select(Event.id).where(Event.id == Slot("event")).for_update())


def _seats(query: Prepared, event_id: int, offer_id: int | None) -> tuple[list[Product], dict[int, int]]:
    products = query.rows(event=event_id, now=utcnow(), offer=offer_id or 0)
    return products, {p.id: p.sold + p.offered for p in products}


def _left(event: Event, products: list[Product], taken: dict[int, int]) -> tuple[dict[int, int | None], int | None]:
    admitted = sum(taken.get(p.id, 0) for p in products if p.admits_entry)
    event_left = None if event.capacity is None else max(event.capacity - admitted, 0)
    left: dict[int, int | None] = {}
    for product in products:
        own = None if product.quota is None else max(product.quota - taken.get(product.id, 0), 0)
        if product.admits_entry and event_left is not None:
            own = event_left if own is None else min(own, event_left)
        left[product.id] = own
    return left, event_left


def seats(event: Event, *, exclude_offer_id: int | None = None) -> tuple[list[Product], dict[int, int | None]]:
    """(every product of `event` by id, seats left per product id — None: unlimited), the
    event-wide capacity applied, in one statement. `exclude_offer_id`: as seen by the holder of
    that waiting-list offer (its seat is theirs)."""
    products, taken = _seats(SEATS_OF_EVENT, event.id, exclude_offer_id)
    return products, _left(event, products, taken)[0]


def availability(event: Event, *, exclude_offer_id: int | None = None) -> dict[int, int | None]:
    """Seats left per product id of `event` (None: unlimited), the event-wide capacity applied.
    `exclude_offer_id`: as seen by the holder of that waiting-list offer (its seat is theirs)."""
    return seats(event, exclude_offer_id=exclude_offer_id)[1]


def event_seats_left(event: Event) -> int | None:
    """Seats left under the event-wide capacity (None: no capacity set)."""
    products, taken = _seats(SEATS_OF_EVENT, event.id, None)
    return _left(event, products, taken)[1]


def _locked_counts(event: Event, offer_id: int | None) -> tuple[list[Product], Event, dict[int, int]]:
    """The seats taken as committed now, under the write lock: (products, event with its
    capacity, taken per product). SQLite: the transaction's BEGIN IMMEDIATE already serializes
    writers, one statement reads it all. PostgreSQL: lock the event row first — every writer
    that takes seats does, so once it is ours they have all committed — then read the counts in a
    new statement (its snapshot starts after the lock) with the product rows locked by id."""
    if is_postgres():
        EVENT_ROW_LOCK.execute(event=event.id)
    products, taken = _seats(SEATS_OF_EVENT_LOCKED, event.id, offer_id)
    capacity = products[0].event_capacity if products else event.capacity
    return products, Event(id=event.id, capacity=capacity), taken


def _require_transaction(name: str) -> None:
    if not db.in_transaction():
        raise RuntimeError(f"capacity.{name} must run inside webapp.db.write_transaction()")


def reserve(event: Event, wanted: dict[int, int], *, offer_id: int | None = None) -> None:
    """Check that `wanted` ({product_id: units}) fits; raise SoldOut otherwise. Call it inside
    `write_transaction()` and insert the order items before that transaction ends. `offer_id`:
    a waiting-list offer being redeemed — its own held seat is available to this order."""
    _require_transaction("reserve")
    wanted = {pid: n for pid, n in wanted.items() if n > 0}
    if not wanted:
        return
    products, fresh, taken = _locked_counts(event, offer_id)
    by_id = {p.id: p for p in products}
    for product_id in wanted:
        if product_id not in by_id:
            raise SoldOut(product_id, 0)
    for product_id, units in sorted(wanted.items()):
        quota = by_id[product_id].quota
        if quota is not None and units > quota - taken.get(product_id, 0):
            raise SoldOut(product_id, quota - taken.get(product_id, 0))
    _, event_left = _left(fresh, products, taken)
    admitted = sum(n for pid, n in wanted.items() if by_id[pid].admits_entry)
    if event_left is not None and admitted > event_left:
        raise SoldOut(None, event_left)


def claim(event: Event, product_id: int, units: int) -> int:
    """Take as many of `units` seats of one product as are left (0 to `units`) and say how many:
    for a caller that adds what fits and reports the rest (a CSV import). Same locks and counts
    as `reserve`: call it inside `write_transaction()` and insert that many order items before
    the transaction ends."""
    _require_transaction("claim")
    if units <= 0:
        return 0
    products, fresh, taken = _locked_counts(event, None)
    left, _ = _left(fresh, products, taken)
    if product_id not in left:
        return 0
    return units if left[product_id] is None else min(units, left[product_id])
