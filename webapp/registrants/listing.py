"""The registrant list of an event: filters, search, sort and keyset pagination.

Keyset ("seek") pagination keeps every page as fast as the first one at 100,000 registrants: a page
is "the next 50 rows after this (sort value, id)", which the (event, name) and (event, id) indexes
answer without counting past rows. The total is counted separately and capped; a text search is
not counted unless its matches fit on one page (counting it would scan every row a second time).
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass, fields

import peewee as pw

from webapp.catalog import groups as catalog_groups
from webapp.catalog.models import Coupon, ParticipantGroup, Product
from webapp.contacts.models import ContactLabel, Label
from webapp.events.models import Event
from webapp.guards import MAX_ROW_ID, row_id
from webapp.orders import states
from webapp.orders.groups import in_group
from webapp.orders.models import APPROVAL_STATES, ORDER_STATUSES, Order, Registrant

PAGE_SIZE = 50
COUNT_CAP = 10_000  # a filtered count stops here ("10,000+"): exact totals of huge matches cost a full scan
SORTS = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "name": "Name A–Z",
    "-name": "Name Z–A",
}


@dataclass
class RegistrantFilters:
    """What the operator asked for, as read from (and written back to) the query string."""

    q: str = ""
    product: int | None = None
    status: str = ""
    approval: str = ""
    checked_in: str = ""  # "yes" / "no"
    coupon: int | None = None
    label: int | None = None
    canceled: str = ""  # "yes": canceled registrants only; "no": hide them
    group: int | None = None  # a participant group's id
    state: str = ""  # a participant state (webapp/orders/states.py)
    sort: str = "newest"

    @classmethod
    def from_args(cls, args) -> RegistrantFilters:
        def number(name):
            return args.get(name, type=row_id)

        def choice(name, allowed):
            value = (args.get(name) or "").strip()
            return value if value in allowed else ""

        return cls(
            q=(args.get("q") or "").strip()[:200],
            product=number("product"),
            status=choice("status", ORDER_STATUSES),
            approval=choice("approval", APPROVAL_STATES),
            checked_in=choice("checked_in", ("yes", "no")),
            coupon=number("coupon"),
            label=number("label"),
            canceled=choice("canceled", ("yes", "no")),
            group=number("group"),
            state=choice("state", states.REGISTRANT_STATES),
            sort=choice("sort", SORTS) or "newest",
        )

    @classmethod
    def from_dict(cls, data: dict) -> RegistrantFilters:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def to_dict(self) -> dict:
        return asdict(self)

    def to_args(self) -> dict:
        """Only what differs from the defaults: short, shareable URLs."""
        default = RegistrantFilters()
        return {k: v for k, v in asdict(self).items() if v not in (None, "") and v != getattr(default, k)}

    @property
    def active(self) -> bool:
        return bool({k for k in self.to_args() if k != "sort"})


@dataclass
class Page:
    rows: list[Registrant]
    total: int | None  # None: a search with more than one page of matches, not counted
    total_capped: bool
    next_cursor: str | None
    prev_cursor: str | None


# What a list row shows: loading only these keeps a page of 50 rows cheap to build.
ROW_COLUMNS = (
    Registrant.id, Registrant.name, Registrant.email, Registrant.order, Registrant.product,
    Registrant.contact, Registrant.group, Registrant.canceled, Registrant.blocked, Registrant.checked_in_at, Registrant.created_at,
    Order.id, Order.code, Order.status, Order.approval, Order.refunded_at,
    Product.id, Product.name,
)  # fmt: skip


def filtered(org_id: int, event: Event, filters: RegistrantFilters) -> pw.ModelSelect:
    """The event's registrants matching `filters`, joined with their order and product."""
    query = (
        Registrant.select(*ROW_COLUMNS)
        .join(Order, on=(Registrant.order == Order.id))
        .switch(Registrant)
        .join(Product, on=(Registrant.product == Product.id))
        .where((Registrant.organization == org_id) & (Registrant.event == event.id))
    )
    conditions = _conditions(org_id, filters, event)
    return query.where(*conditions) if conditions else query


def _needs_order(f: RegistrantFilters) -> bool:
    return bool(f.status or f.approval or f.coupon or f.state)


def count(org_id: int, event: Event, filters: RegistrantFilters) -> int:
    """How many registrants match: exact without filters (an index-only count), else up to
    COUNT_CAP + 1. `event` is already the organization's, so its registrants are too."""
    conditions = _conditions(org_id, filters, event)
    if not conditions:
        return Registrant.select(pw.fn.COUNT(pw.SQL("*"))).where(Registrant.event == event.id).scalar()
    query = Registrant.select(Registrant.id).where(Registrant.event == event.id)
    if _needs_order(filters):
        query = query.join(Order, on=(Registrant.order == Order.id))
    return query.where(*conditions).limit(COUNT_CAP + 1).count()


def _conditions(org_id: int, f: RegistrantFilters, event: Event) -> list:
    conditions = []
    if f.group:
        group = ParticipantGroup.get_or_none((ParticipantGroup.id == f.group) & (ParticipantGroup.event == event.id))
        conditions.append(in_group(group) if group is not None else pw.SQL("1 = 0"))
    if f.state:
        conditions.append(states.condition(f.state, event))
    if f.q:
        term = f.q.replace("%", "").replace("\\", "")
        like = f"%{term}%"
        match = (Registrant.name**like) | (Registrant.email**like)
        if term.isalnum() and len(term) <= 16:
            match |= Registrant.order.in_(Order.select(Order.id).where(Order.code == term.upper()))
        conditions.append(match)
    if f.product:
        conditions.append(Registrant.product == f.product)
    if f.status:
        conditions.append(Order.status == f.status)
    if f.approval:
        conditions.append(Order.approval == f.approval)
    if f.checked_in == "yes":
        conditions.append(Registrant.checked_in_at.is_null(False))
    elif f.checked_in == "no":
        conditions.append(Registrant.checked_in_at.is_null(True))
    if f.coupon:
        conditions.append(Order.coupon == f.coupon)
    if f.label:
        labelled = ContactLabel.select(ContactLabel.contact).where(
            (ContactLabel.organization == org_id) & (ContactLabel.label == f.label)
        )
        conditions.append(Registrant.contact.in_(labelled))
    if f.canceled == "yes":
        conditions.append(Registrant.canceled == True)  # noqa: E712
    elif f.canceled == "no":
        conditions.append(Registrant.canceled == False)  # noqa: E712
    return conditions


def _encode(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> list | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, RecursionError):
        return None  # a mangled cursor shows the first page, never a 500
    if not isinstance(values, list) or len(values) != 2 or not isinstance(values[1], int):
        return None
    if not 1 <= values[1] <= MAX_ROW_ID or not (values[0] is None or _storable(values[0])):
        return None
    return values


def _storable(text) -> bool:
    return isinstance(text, str) and "\x00" not in text


def _sort_key(sort: str, registrant: Registrant) -> list:
    if sort in ("name", "-name"):
        return [registrant.name, registrant.id]
    return [None, registrant.id]


def _seek(query: pw.ModelSelect, sort: str, cursor: list, forward: bool) -> pw.ModelSelect:
    descending = sort in ("newest", "-name")
    going_down = descending == forward  # walking towards smaller keys
    value, last_id = cursor
    if sort in ("name", "-name"):
        if not isinstance(value, str):
            return query
        key = pw.Tuple(Registrant.name, Registrant.id)
        return query.where(key < pw.Tuple(value, last_id) if going_down else key > pw.Tuple(value, last_id))
    return query.where(Registrant.id < last_id if going_down else Registrant.id > last_id)


def _order(query: pw.ModelSelect, sort: str, forward: bool) -> pw.ModelSelect:
    descending = sort in ("newest", "-name")
    if not forward:
        descending = not descending
    if sort in ("name", "-name"):
        keys = (Registrant.name, Registrant.id)
    else:
        keys = (Registrant.id,)
    return query.order_by(*[k.desc() if descending else k.asc() for k in keys])


def page(
    org_id: int,
    event: Event,
    filters: RegistrantFilters,
    *,
    after: str | None = None,
    before: str | None = None,
    known_total: str | None = None,
) -> Page:
    """One page of the list. `known_total` ("1234" or "10000+", as counted for the first page and
    carried in the paging links) spares the deeper pages the count."""
    base = filtered(org_id, event, filters)
    after_key, before_key = _decode(after), _decode(before)
    forward = before_key is None
    query = base
    if after_key and forward:
        query = _seek(query, filters.sort, after_key, True)
    elif before_key:
        query = _seek(query, filters.sort, before_key, False)
    rows = list(_order(query, filters.sort, forward).limit(PAGE_SIZE + 1))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    if not forward:
        rows.reverse()
    has_next = more if forward else True
    has_prev = bool(after_key) if forward else more
    carried = (known_total or "").rstrip("+")
    if filters.q and (after_key or before_key or more):
        total, capped = None, False
    elif (after_key or before_key) and carried.isdigit():
        total, capped = int(carried), known_total.endswith("+")
    else:
        total = len(rows) if filters.q else count(org_id, event, filters)
        capped = filters.active and total > COUNT_CAP
    return Page(
        rows=rows,
        total=COUNT_CAP if capped else total,
        total_capped=capped,
        next_cursor=_encode(_sort_key(filters.sort, rows[-1])) if rows and has_next else None,
        prev_cursor=_encode(_sort_key(filters.sort, rows[0])) if rows and has_prev else None,
    )


def filter_choices(org_id: int, event: Event) -> dict:
    """What the filter menus offer for this event."""
    return {
        "products": list(
            Product.select(Product.id, Product.name)
            .where((Product.organization == org_id) & (Product.event == event.id))
            .order_by(Product.position, Product.id)
        ),
        "coupons": list(
            Coupon.select(Coupon.id, Coupon.code)
            .where((Coupon.organization == org_id) & (Coupon.event == event.id))
            .order_by(Coupon.code)
        ),
        "labels": list(Label.select(Label.id, Label.name).where(Label.organization == org_id).order_by(Label.name)),
        "groups": catalog_groups.groups_of(event),
        "states": [(s, states.LABELS[s]) for s in states.REGISTRANT_STATES],
        "statuses": ORDER_STATUSES,
        "approvals": APPROVAL_STATES,
        "sorts": SORTS,
    }


def matching_ids(org_id: int, event: Event, filters: RegistrantFilters) -> list[int]:
    """Every registrant id the filters match (for a bulk action on the whole filtered set)."""
    query = filtered(org_id, event, filters).select(Registrant.id).switch(Registrant).order_by(Registrant.id)
    return [row.id for row in query.objects()]
