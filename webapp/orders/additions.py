"""The rows an operator's addition writes (console, CSV import, door walk-in, API), and writing
many one-person orders at once.

`service.add_participants` (one order for a group) and `service.add_participants_each` (one order
per person, a CSV import's batch) build their rows here. `write_orders_each` writes a batch
set-wise: one order code lookup and one multi-row INSERT per table, where one INSERT per row would
cost a 20,000-row import most of its time in building statements.
"""

from __future__ import annotations

import datetime as dt

import peewee as pw

from webapp.catalog.models import Product
from webapp.db import db, utcnow
from webapp.email_address import is_valid_email
from webapp.events.models import Event
from webapp.guards import person_name_problem
from webapp.i18n import _
from webapp.orders.codes import new_link_secret, new_order_code
from webapp.orders.models import Order, OrderItem, Registrant
from webapp.orders.signed_secrets import secret_for

INSERT_CHUNK = 250  # rows per INSERT statement: well under the bound-parameter limits


# -- the rows ---------------------------------------------------------------------------------------


def person_problem(person: dict) -> str | None:
    """Why `person` ({name, email, answers?}) cannot be added, or None."""
    name = (person.get("name") or "").strip()
    if not name or not is_valid_email((person.get("email") or "").strip().lower()):
        return _("Each person needs a name and a valid email (got %(email)s).", email=repr(person.get("email")))
    if problem := person_name_problem(name):
        return _("%(problem)s (%(email)s)", problem=problem, email=person.get("email"))
    return None


def order_fields(
    event: Event, product: Product, people: list[dict], *, code: str, source: str, paid: bool, send_ticket: bool,
    now: dt.datetime,
) -> dict:  # fmt: skip
    """An operator's order for `people` (the first one is the buyer), all of one product."""
    total = product.price * len(people)
    return {
        "organization": event.organization_id, "event": event, "code": code, "secret": new_link_secret(),
        "status": "paid" if paid else "pending", "buyer_name": people[0]["name"].strip(),
        "buyer_email": people[0]["email"].strip().lower(), "currency": event.currency, "subtotal": total,
        "total": total, "gateway": "door" if source == "door" else "manual", "source": source,
        "send_ticket": send_ticket, "paid_at": now if paid else None, "created_at": now, "updated_at": now,
    }  # fmt: skip


def item_fields(event: Event, product: Product, order_id: int) -> dict:
    return {"organization": event.organization_id, "order": order_id, "product": product, "price": product.price}


def registrant_fields(event: Event, product: Product, person: dict, *, order_id: int, item_id: int) -> dict:
    return {
        "organization": event.organization_id, "event": event, "order": order_id, "product": product,
        "item": item_id, "name": person["name"].strip(), "email": person["email"].strip().lower(),
        "answers": person.get("answers") or {}, "ticket_secret": secret_for(event, product.id),
    }  # fmt: skip


# -- many at once ----------------------------------------------------------------------------------


def write_orders_each(
    event: Event, product: Product, people: list[dict], source: str, paid: bool, send_ticket: bool
) -> list[int]:
    """An order, its item and its registrant per person, seats already taken by the caller (in the
    same transaction); the order ids, in `people` order."""
    now = utcnow()
    codes = unique_codes(len(people))
    options = {"source": source, "paid": paid, "send_ticket": send_ticket, "now": now}
    orders = [order_fields(event, product, [p], code=c, **options) for p, c in zip(people, codes, strict=True)]
    id_by_code = dict(_insert(Order, orders, returning=("code", "id")))
    order_ids = [id_by_code[code] for code in codes]
    item_by_order = dict(
        _insert(OrderItem, [item_fields(event, product, oid) for oid in order_ids], returning=("order", "id"))
    )
    _insert(
        Registrant,
        [
            registrant_fields(event, product, person, order_id=oid, item_id=item_by_order[oid])
            for person, oid in zip(people, order_ids, strict=True)
        ],
    )
    return order_ids


def unique_codes(count: int) -> list[str]:
    """`count` order codes, different from each other and from every stored one (one lookup per
    round; a clash is rare, so there is almost never a second round)."""
    codes: set[str] = set()
    for _attempt in range(20):
        candidates = set()
        while len(candidates) < count - len(codes):
            code = new_order_code()
            if code not in codes:
                candidates.add(code)
        taken = {code for (code,) in Order.select(Order.code).where(Order.code.in_(list(candidates))).tuples()}
        codes |= candidates - taken
        if len(codes) == count:
            return list(codes)
    raise RuntimeError("could not find free order codes")


def _insert(model: type[pw.Model], rows: list[dict], returning: tuple[str, ...] = ()) -> list[tuple]:
    """INSERT `rows` (dicts of field values, the model's defaults filling the rest) with one
    multi-row statement per chunk; the `returning` fields of each inserted row (in no set order).
    Written as SQL because peewee's insert_many renders every value into the query through its
    own layers, which costs more than the writes themselves."""
    fields = [f for f in model._meta.sorted_fields if f is not model._meta.primary_key]
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    marks = "(" + ", ".join([db.param] * len(fields)) + ")"
    back = ", ".join(f'"{model._meta.fields[name].column_name}"' for name in returning)
    out: list[tuple] = []
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = [model(**row).__data__ for row in rows[start : start + INSERT_CHUNK]]
        params = [f.db_value(data.get(f.name)) for data in chunk for f in fields]
        sql = f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES {", ".join([marks] * len(chunk))}'
        if returning:
            out += db.execute_sql(f"{sql} RETURNING {back}", params).fetchall()
        else:
            db.execute_sql(sql, params)
    return out
