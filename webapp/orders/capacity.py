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
from webapp.db import db, locked, utcnow
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


def _holding_orders(now):
    """Orders whose items hold seats right now."""
    return (Order.status == "paid") | (
        (Order.status == "pending") & (Order.expires_at.is_null() | (Order.expires_at > now))
    )


def taken_by_product(event_id: int, *, exclude_offer_id: int | None = None) -> dict[int, int]:
    """Seats held per product id: sold or pending units plus live waiting-list offers."""
    now = utcnow()
    rows = (
        OrderItem.select(OrderItem.product, pw.fn.COUNT(OrderItem.id).alias("n"))
        .join(Order)
        .where((Order.event == event_id) & (OrderItem.canceled == False) & _holding_orders(now))  # noqa: E712
        .group_by(OrderItem.product)
        .tuples()
    )
    taken = {product_id: n for product_id, n in rows}
    offers = WaitingListEntry.select(WaitingListEntry.product, pw.fn.COUNT(WaitingListEntry.id)).where(
        (WaitingListEntry.event == event_id)
        & (WaitingListEntry.status == "offered")
        & (WaitingListEntry.offer_expires_at > now)
    )
    if exclude_offer_id is not None:
        offers = offers.where(WaitingListEntry.id != exclude_offer_id)
    for product_id, n in offers.group_by(WaitingListEntry.product).tuples():
        taken[product_id] = taken.get(product_id, 0) + n
    return taken


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


def _products(event: Event) -> list[Product]:
    return list(Product.select().where(Product.event == event.id).order_by(Product.id))


def availability(event: Event, *, exclude_offer_id: int | None = None) -> dict[int, int | None]:
    """Seats left per product id of `event` (None: unlimited), the event-wide capacity applied.
    `exclude_offer_id`: as seen by the holder of that waiting-list offer (its seat is theirs)."""
    left, _ = _left(event, _products(event), taken_by_product(event.id, exclude_offer_id=exclude_offer_id))
    return left


def event_seats_left(event: Event) -> int | None:
    """Seats left under the event-wide capacity (None: no capacity set)."""
    _, event_left = _left(event, _products(event), taken_by_product(event.id))
    return event_left


def _locked_counts(event: Event, offer_id: int | None) -> tuple[list[Product], Event, dict[int, int]]:
    """Lock the event row, then its product rows by id (so two writers never deadlock), and count
    the seats taken as committed now: (products, event with its capacity, taken per product)."""
    locked(Event.select(Event.id).where(Event.id == event.id)).execute()
    products = list(
        locked(
            Product.select(Product.id, Product.quota, Product.admits_entry)
            .where(Product.event == event.id)
            .order_by(Product.id)
        )
    )
    fresh = Event.select(Event.id, Event.capacity).where(Event.id == event.id).get()
    return products, fresh, taken_by_product(event.id, exclude_offer_id=offer_id)


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
