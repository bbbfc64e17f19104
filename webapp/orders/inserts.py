"""A new order's rows written with prepared statements (compiled once per database, run with
fresh values): the checkout writes an order, its items and its registrants for every
registration, inside the write lock, where building SQL would keep every other writer waiting."""

from __future__ import annotations

import peewee as pw

from webapp.db import Prepared, Slot, is_postgres
from webapp.orders.models import Order, OrderItem, Registrant

ORDER_COLUMNS = (
    "organization", "event", "code", "secret", "status", "approval", "buyer_name", "buyer_email", "locale",
    "answers", "currency", "subtotal", "discount", "total", "coupon", "coupon_uses", "gateway", "checkout_token",
    "invitation", "expires_at", "paid_at", "created_at", "updated_at",
)  # fmt: skip
ITEM_COLUMNS = ("organization", "order", "product", "price", "discount")
REGISTRANT_COLUMNS = (
    "organization", "event", "order", "product", "item", "name", "email", "answers", "ticket_secret",
    "created_at", "updated_at",
)  # fmt: skip


def _insert(model: type[pw.Model], columns: tuple[str, ...], *, skip_taken: bool = False) -> pw.Insert:
    fields = [model._meta.fields[name] for name in columns]
    query = model.insert({f: Slot(f.name, f.db_value) for f in fields})
    if skip_taken:  # a unique value already taken: no row, no error (the transaction goes on)
        query = query.on_conflict("NOTHING")
    return query.returning(model.id) if is_postgres() else query


NEW_ORDER = Prepared(lambda: _insert(Order, ORDER_COLUMNS, skip_taken=True))
NEW_ORDER_ITEM = Prepared(lambda: _insert(OrderItem, ITEM_COLUMNS))
NEW_REGISTRANT = Prepared(lambda: _insert(Registrant, REGISTRANT_COLUMNS))


def _new_id(cursor) -> int | None:
    if is_postgres():
        row = cursor.fetchone()
        return row[0] if row else None
    return cursor.lastrowid if cursor.rowcount else None


def insert_order(values: dict) -> int | None:
    """The new order's id; None when its checkout token, code or secret is taken already."""
    return _new_id(NEW_ORDER.execute(**values))


def insert_item(values: dict) -> int:
    return _new_id(NEW_ORDER_ITEM.execute(**values))


def insert_registrant(values: dict) -> int:
    return _new_id(NEW_REGISTRANT.execute(**values))
