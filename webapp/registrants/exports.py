"""Exports of an event: registrants (with their answers), orders and check-ins, as CSV or XLSX.

Every text cell is escaped against spreadsheet formula injection by the rule of every export
(webapp/spreadsheet.py), and XLSX cells are written as text, never as formulas. Rows are streamed
from the database in chunks, so 100,000 registrants never sit in memory as model objects.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import peewee as pw
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from webapp.accounts.models import User
from webapp.catalog import groups as catalog_groups
from webapp.catalog.models import Coupon, Product, Question
from webapp.catalog.questions import format_answer
from webapp.checkin.models import Checkin, CheckinList
from webapp.db import utcnow
from webapp.events.models import Event
from webapp.i18n import _l
from webapp.money import to_major
from webapp.orders import states
from webapp.orders.models import Order, Registrant
from webapp.spreadsheet import safe_cell
from webapp.timeutil import to_local

KINDS = {"registrants": "Registrants", "orders": "Orders", "checkins": "Check-ins"}
FORMATS = ("csv", "xlsx")
CHUNK = 2000


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: Iterable[list]


def _local(value: dt.datetime | None, tz: str) -> dt.datetime | None:
    local = to_local(value, tz)
    return local.replace(tzinfo=None) if local else None


def _money(amount: int | None, currency: str) -> Decimal | None:
    return None if amount is None else to_major(amount, currency)


def registrants(org_id: int, event: Event) -> Table:

    questions = list(
        Question.select()
        .where((Question.event == event.id) & (Question.organization == org_id))
        .order_by(Question.position, Question.id)
    )
    tz = event.timezone
    headers = [
        _l("Registrant ID"), _l("Order code"), _l("Name"), _l("Email"), _l("Ticket type"), _l("Order status"),
        _l("Approval"), _l("Canceled"), _l("Checked in at (%(tz)s)", tz=tz), _l("Registered at (%(tz)s)", tz=tz),
        _l("Coupon"), _l("Order total"), _l("Currency"), _l("Participant group"), _l("Participant state"),
    ]  # fmt: skip
    headers = [str(h) for h in headers] + [q.label for q in questions]
    default = catalog_groups.default_group(event)
    group_names = {g.id: g.name for g in catalog_groups.groups_of(event)}
    state_labels = {state: str(label) for state, label in states.LABELS.items()}
    now = utcnow()

    def rows() -> Iterator[list]:
        query = (
            Registrant.select(Registrant, Order, Product, Coupon)
            .join(Order)
            .join(Coupon, pw.JOIN.LEFT_OUTER, on=(Order.coupon == Coupon.id))
            .switch(Registrant)
            .join(Product)
            .where((Registrant.organization == org_id) & (Registrant.event == event.id))
            .order_by(Registrant.id)
        )
        for r in _chunked(query, Registrant.id):
            order = r.order
            coupon = order.coupon.code if order.coupon_id and order.coupon else ""
            answers = {**(order.answers or {}), **(r.answers or {})}
            yield [
                r.id, order.code, r.name, r.email, r.product.name, order.status, order.approval,
                "yes" if r.canceled else "no", _local(r.checked_in_at, tz), _local(r.created_at, tz),
                coupon, _money(order.total, order.currency), order.currency,
                group_names.get(r.group_id or default.id, default.name),
                state_labels[states.of_registrant(r, order, event, now)],
            ] + [format_answer(q, answers.get(str(q.id))) for q in questions]  # fmt: skip

    return Table("Registrants", headers, rows())


def orders(org_id: int, event: Event) -> Table:
    tz = event.timezone
    headers = [
        "Order code", "Buyer name", "Buyer email", "Status", "Approval", "Source", "Gateway", "Coupon",
        "Subtotal", "Discount", "Total", "Currency", "Registrants", f"Created at ({tz})", f"Paid at ({tz})",
        f"Canceled at ({tz})", f"Refunded at ({tz})", "Flag",
    ]  # fmt: skip
    counts = dict(
        Registrant.select(Registrant.order, pw.fn.COUNT(Registrant.id))
        .where(Registrant.event == event.id)
        .group_by(Registrant.order)
        .tuples()
    )

    def rows() -> Iterator[list]:
        query = (
            Order.select(Order, Coupon)
            .join(Coupon, pw.JOIN.LEFT_OUTER, on=(Order.coupon == Coupon.id))
            .where((Order.organization == org_id) & (Order.event == event.id))
            .order_by(Order.id)
        )
        for o in _chunked(query, Order.id):
            yield [
                o.code, o.buyer_name, o.buyer_email, o.status, o.approval, o.source, o.gateway or "",
                o.coupon.code if o.coupon_id and o.coupon else "", _money(o.subtotal, o.currency),
                _money(o.discount, o.currency), _money(o.total, o.currency), o.currency, counts.get(o.id, 0),
                _local(o.created_at, tz), _local(o.paid_at, tz), _local(o.canceled_at, tz),
                _local(o.refunded_at, tz), o.flag or "",
            ]  # fmt: skip

    return Table("Orders", headers, rows())


def checkins(org_id: int, event: Event) -> Table:

    tz = event.timezone
    headers = [
        f"Time ({tz})", "Name", "Email", "Order code", "Check-in list", "Kind", "Result", "Reason", "Gate",
        "Scanned by", "Forced", "Force reason", f"Undone at ({tz})",
    ]  # fmt: skip

    def rows() -> Iterator[list]:
        query = (
            Checkin.select(Checkin, CheckinList, Registrant, Order, User)
            .join(CheckinList)
            .switch(Checkin)
            .join(Registrant, pw.JOIN.LEFT_OUTER)
            .join(Order, pw.JOIN.LEFT_OUTER)
            .switch(Checkin)
            .join(User, pw.JOIN.LEFT_OUTER, on=(Checkin.user == User.id))
            .where((Checkin.organization == org_id) & (Checkin.event == event.id))
            .order_by(Checkin.id)
        )
        for c in _chunked(query, Checkin.id):
            r = c.registrant if c.registrant_id else None
            yield [
                _local(c.created_at, tz), r.name if r else "", r.email if r else "",
                r.order.code if r else "", c.checkin_list.name, c.kind, c.result, c.reason or "", c.gate,
                c.user.email if c.user_id and c.user else "", "yes" if c.forced else "no", c.force_reason or "",
                _local(c.undone_at, tz),
            ]  # fmt: skip

    return Table("Check-ins", headers, rows())


def _chunked(query, key) -> Iterator:
    """Walk a query in id order, CHUNK rows at a time (keyset), without holding a cursor open."""
    last = 0
    while True:
        batch = list(query.where(key > last).limit(CHUNK))
        if not batch:
            return
        yield from batch
        last = batch[-1].id
        if len(batch) < CHUNK:
            return


def table_for(kind: str, org_id: int, event: Event) -> Table:
    return {"registrants": registrants, "orders": orders, "checkins": checkins}[kind](org_id, event)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(safe_cell(value))


def csv_chunks(table: Table) -> Iterator[bytes]:
    """The CSV as UTF-8 with a BOM (so Excel reads accents right), in chunks for streaming."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff".encode()
    writer.writerow([_text(h) for h in table.headers])
    for i, row in enumerate(table.rows, start=1):
        writer.writerow([_text(v) for v in row])
        if i % 500 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _xlsx_cell(sheet, value):
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", safe_cell(value)))
        cell.data_type = "s"  # text, never a formula, whatever it starts with
        return cell
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, dt.datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    return cell


def write_xlsx(table: Table, target) -> None:
    """The workbook, written to `target` (a path or a binary file); rows go through a temporary
    file as they come (openpyxl's write-only mode), not into memory."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(table.title)
    sheet.freeze_panes = "A2"
    sheet.append([_xlsx_cell(sheet, h) for h in table.headers])
    for row in table.rows:
        sheet.append([_xlsx_cell(sheet, v) for v in row])
    workbook.save(target)


def xlsx_bytes(table: Table) -> bytes:
    out = io.BytesIO()
    write_xlsx(table, out)
    return out.getvalue()


def row_count(kind: str, org_id: int, event: Event) -> int:
    """How many rows the export of `kind` has (one COUNT on the event's index)."""

    model = {"registrants": Registrant, "orders": Order, "checkins": Checkin}[kind]
    return model.select().where((model.organization == org_id) & (model.event == event.id)).count()
