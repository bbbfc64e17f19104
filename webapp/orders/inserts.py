"""A new order's rows written with prepared statements (compiled once per database, run with
fresh values): the checkout writes an order, its items and its registrants for every
registration, inside the write lock, where building SQL would keep every other writer waiting.
On PostgreSQL they are one statement (`insert_order_with_rows`): each round trip inside the lock
keeps the event's other buyers waiting too."""

from __future__ import annotations

from dataclasses import dataclass

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
    "organization", "event", "order", "product", "item", "group", "name", "email", "answers", "ticket_secret",
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


def _order_with_rows() -> tuple[str, list]:
    """PostgreSQL: a new order with all its rows in one statement (data-modifying CTEs): the
    order, then, only when it was written, its items, the registrants of the items that admit
    entry and the work items of the signals announcing it. The units come as arrays (one
    element per item: product, unit price, discount), the people too (the unit they hold, by
    position from 1, and their name, email, answers and ticket secret), the signals as the
    text of each payload before and after the order's id. Answers the order's id, or no row
    when its checkout token, code or secret is taken already (then nothing is written)."""
    order, params = _insert(Order, ORDER_COLUMNS, skip_taken=True).sql()
    sql = f"""WITH placed AS ({order}),
units AS MATERIALIZED (
    SELECT nextval(pg_get_serial_sequence('order_item', 'id')) AS item_id, u.product, u.price, u.discount, u.n
    FROM placed, unnest(%s::integer[], %s::bigint[], %s::bigint[]) WITH ORDINALITY AS u(product, price, discount, n)),
items AS (
    INSERT INTO "order_item" ("id", "organization_id", "order_id", "product_id", "price", "discount", "canceled")
    SELECT units.item_id, %s::integer, placed.id, units.product, units.price, units.discount, false
    FROM placed, units),
people AS (
    INSERT INTO "registrant" ("organization_id", "event_id", "order_id", "product_id", "item_id", "group_id", "name",
        "email", "answers", "ticket_secret", "canceled", "blocked", "created_at", "updated_at")
    SELECT %s::integer, %s::integer, placed.id, units.product, units.item_id, %s::integer, p.name, p.email, p.answers,
        p.secret,
        false, false, %s::timestamp, %s::timestamp
    FROM placed, units
    JOIN unnest(%s::integer[], %s::text[], %s::text[], %s::text[], %s::text[]) AS p(unit, name, email, answers, secret)
        ON p.unit = units.n
    ORDER BY p.unit),
announced AS (
    INSERT INTO "work_item" ("kind", "payload", "priority", "run_after", "attempts", "max_attempts", "created_at")
    SELECT %s::text, s.head || placed.id::text || s.tail, %s::integer, %s::timestamp, 0, 8, %s::timestamp
    FROM placed, unnest(%s::text[], %s::text[]) AS s(head, tail))
SELECT "id" FROM placed"""
    now = Slot("created_at", Order.created_at.db_value)
    params = [
        *params,
        *(Slot("unit_products"), Slot("unit_prices"), Slot("unit_discounts")),
        Slot("organization"),
        *(Slot("organization"), Slot("event"), Slot("group_id"), now, now),
        *(Slot("person_units"), Slot("person_names"), Slot("person_emails"), Slot("person_answers")),
        Slot("person_secrets"),
        *(Slot("signal_kind"), Slot("signal_priority"), Slot("queued"), Slot("queued")),
        *(Slot("signal_heads"), Slot("signal_tails")),
    ]
    return sql, params


NEW_ORDER_WITH_ROWS = Prepared(_order_with_rows)


@dataclass
class Unit:
    """One order item to write: a unit of a product, and the person it admits (if it does)."""

    product: int
    price: int
    discount: int
    person: dict | None = None  # name, email, answers, ticket_secret


def order_with_rows(
    values: dict,
    units: list[Unit],
    announced: list[tuple[str, str]],
    *,
    signal_kind: str,
    priority: int,
    group_id: int,
) -> tuple[Prepared, dict]:
    """PostgreSQL: the statement that writes the order, its items and registrants and its
    signals' work items, with its values (to run as it is, `insert_order_with_rows`, or with
    others in one round trip). `announced`: each signal's stored payload before and after the
    order's id (signals.stored_payload_around_id). `group_id`: the registrants' participant
    group."""
    people = [(n, unit.person) for n, unit in enumerate(units, start=1) if unit.person is not None]
    answers = Registrant.answers.db_value
    return NEW_ORDER_WITH_ROWS, dict(
        values,
        group_id=group_id,
        unit_products=[u.product for u in units], unit_prices=[u.price for u in units],
        unit_discounts=[u.discount for u in units],
        person_units=[n for n, _ in people], person_names=[p["name"] for _, p in people],
        person_emails=[p["email"] for _, p in people], person_answers=[answers(p["answers"]) for _, p in people],
        person_secrets=[p["ticket_secret"] for _, p in people],
        signal_kind=signal_kind, signal_priority=priority, queued=values["created_at"],
        signal_heads=[head for head, _ in announced], signal_tails=[tail for _, tail in announced],
    )  # fmt: skip


def insert_order_with_rows(write: tuple[Prepared, dict]) -> int | None:
    """PostgreSQL: an `order_with_rows` statement run on its own; the order's id, or None
    (nothing written) when its checkout token, code or secret is taken already."""
    statement, statement_values = write
    row = statement.execute(**statement_values).fetchone()
    return row[0] if row else None
