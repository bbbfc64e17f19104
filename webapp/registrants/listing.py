"""The registrant list of an event: filters, search, sort and keyset pagination.

Keyset ("seek") pagination keeps every page as fast as the first one at 100,000 registrants: a page
is "the next 50 rows after this (sort value, id)", which the (event, name) and (event, id) indexes
answer without counting past rows. The total is counted separately and capped; a text search is
not counted unless its matches fit on one page (counting it would scan every row a second time).
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass, field, fields

import peewee as pw

from webapp.catalog import groups as catalog_groups
from webapp.catalog.models import Coupon, ParticipantGroup, Product
from webapp.contacts.models import ContactLabel, Label
from webapp.events.models import Event
from webapp.guards import MAX_ROW_ID, row_id, search_text
from webapp.orders import states
from webapp.orders.groups import in_group
from webapp.orders.models import APPROVAL_STATES, ORDER_STATUSES, Invitation, Order, Registrant

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
            q=search_text(args),
            product=number("product"),
            status=choice("status", ORDER_STATUSES),
            approval=choice("approval", APPROVAL_STATES),
            checked_in=choice("checked_in", ("yes", "no")),
            coupon=number("coupon"),
            label=number("label"),
            canceled=choice("canceled", ("yes", "no")),
            group=number("group"),
            state=choice("state", states.STATES),
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
    # Open personal invitations (participants "invited" or "declined" without a registration),
    # listed after the registrants; how many of `total` they are
    invitations: list[Invitation] = field(default_factory=list)
    invitation_total: int = 0


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


# Filters only a registration can match: with any of them, no invitation is listed.
REGISTRATION_ONLY = ("product", "status", "approval", "checked_in", "coupon", "label", "canceled")


def invitations_filtered(org_id: int, event: Event, f: RegistrantFilters) -> pw.ModelSelect | None:
    """The open personal invitations the filters match (the participants `invited` or `declined`
    who have no registration, as `states.counts` counts them), or None when the filters ask for
    what only a registration has."""
    if any(getattr(f, name) for name in REGISTRATION_ONLY) or f.state not in ("", "invited", "declined"):
        return None
    query = states.open_invitations(event).where(Invitation.organization == org_id)
    if f.state:
        query = query.where(Invitation.declined_at.is_null(f.state == "invited"))
    if f.group:
        group = ParticipantGroup.get_or_none((ParticipantGroup.id == f.group) & (ParticipantGroup.event == event.id))
        if group is None:
            return None
        own = Invitation.group == group.id
        query = query.where(own | Invitation.group.is_null() if group.is_default else own)
    if f.q:
        like = "%" + f.q.replace("%", "").replace("\\", "") + "%"
        query = query.where((Invitation.name**like) | (Invitation.email**like))
    return query


def _conditions(org_id: int, f: RegistrantFilters, event: Event) -> list:
    conditions = []
    if f.state == "invited":  # an invitation's state: no registrant has it
        return [pw.SQL("1 = 0")]
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


INVITATION_SECTION = "i"  # a cursor's third value: the position is among the invitations


def _decode(cursor: str | None) -> list | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, RecursionError):
        return None  # a mangled cursor shows the first page, never a 500
    if not isinstance(values, list) or len(values) not in (2, 3) or not isinstance(values[1], int):
        return None
    if len(values) == 3 and values[2] != INVITATION_SECTION:
        return None
    if not 1 <= values[1] <= MAX_ROW_ID or not (values[0] is None or _storable(values[0])):
        return None
    return values


def _storable(text) -> bool:
    return isinstance(text, str) and "\x00" not in text


def _sort_key(sort: str, row: Registrant | Invitation) -> list:
    key = [row.name if sort in ("name", "-name") else None, row.id]
    return [*key, INVITATION_SECTION] if isinstance(row, Invitation) else key


def _seek(query: pw.ModelSelect, sort: str, cursor: list, forward: bool) -> pw.ModelSelect:
    model = query.model
    descending = sort in ("newest", "-name")
    going_down = descending == forward  # walking towards smaller keys
    value, last_id = cursor[:2]
    if sort in ("name", "-name"):
        if not isinstance(value, str):
            return query
        key = pw.Tuple(model.name, model.id)
        return query.where(key < pw.Tuple(value, last_id) if going_down else key > pw.Tuple(value, last_id))
    return query.where(model.id < last_id if going_down else model.id > last_id)


def _order(query: pw.ModelSelect, sort: str, forward: bool) -> pw.ModelSelect:
    model = query.model
    descending = sort in ("newest", "-name")
    if not forward:
        descending = not descending
    keys = (model.name, model.id) if sort in ("name", "-name") else (model.id,)
    return query.order_by(*[k.desc() if descending else k.asc() for k in keys])


def _rows(base, invited, sort: str, after_key, before_key) -> tuple[list, bool]:
    """Up to PAGE_SIZE + 1 rows after (or, walking back, before) the cursor, in the list's order:
    the registrants, then the invitations (`invited`, None when none are listed). Walking back,
    the rows come nearest first."""
    limit = PAGE_SIZE + 1
    forward = before_key is None
    cursor = after_key if forward else before_key
    in_invitations = bool(cursor) and len(cursor) == 3
    if forward:
        registrants = [] if in_invitations else _registrant_rows(base, sort, cursor, True, limit)
        rest = limit - len(registrants)
        invitations = []
        if invited is not None and rest > 0:
            query = _seek(invited, sort, cursor, True) if in_invitations else invited
            invitations = list(_order(query, sort, True).limit(rest))
        return registrants + invitations, forward
    invitations = []
    if in_invitations and invited is not None:
        invitations = list(_order(_seek(invited, sort, cursor, False), sort, False).limit(limit))
    rest = limit - len(invitations)
    registrants = []
    if rest > 0:
        registrants = _registrant_rows(base, sort, None if in_invitations else cursor, False, rest)
    return invitations + registrants, forward


def _registrant_rows(base, sort: str, cursor, forward: bool, limit: int) -> list:
    query = _seek(base, sort, cursor, forward) if cursor else base
    return list(_order(query, sort, forward).limit(limit))


def page(
    org_id: int,
    event: Event,
    filters: RegistrantFilters,
    *,
    after: str | None = None,
    before: str | None = None,
    known_total: str | None = None,
) -> Page:
    """One page of the list: the registrants, then the open invitations the filters match.
    `known_total` ("1234" or "10000+", as counted for the first page and carried in the paging
    links) spares the deeper pages the count."""
    base = filtered(org_id, event, filters)
    invited = invitations_filtered(org_id, event, filters)
    after_key, before_key = _decode(after), _decode(before)
    rows, forward = _rows(base, invited, filters.sort, after_key, before_key)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    if not forward:
        rows.reverse()
    has_next = more if forward else True
    has_prev = bool(after_key) if forward else more
    invitation_total = invited.count() if invited is not None else 0
    carried = (known_total or "").rstrip("+")
    if filters.q and (after_key or before_key or more):
        total, capped = None, False
    elif (after_key or before_key) and carried.isdigit():
        total, capped = int(carried), known_total.endswith("+")
    else:
        total = len(rows) if filters.q else count(org_id, event, filters) + invitation_total
        capped = filters.active and total > COUNT_CAP + invitation_total
    return Page(
        rows=[r for r in rows if isinstance(r, Registrant)],
        total=COUNT_CAP + invitation_total if capped else total,
        total_capped=capped,
        next_cursor=_encode(_sort_key(filters.sort, rows[-1])) if rows and has_next else None,
        prev_cursor=_encode(_sort_key(filters.sort, rows[0])) if rows and has_prev else None,
        invitations=[r for r in rows if isinstance(r, Invitation)],
        invitation_total=invitation_total,
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
        "states": [(s, states.LABELS[s]) for s in states.STATES],
        "statuses": ORDER_STATUSES,
        "approvals": APPROVAL_STATES,
        "sorts": SORTS,
    }


def matching_ids(org_id: int, event: Event, filters: RegistrantFilters) -> list[int]:
    """Every registrant id the filters match (for a bulk action on the whole filtered set)."""
    query = filtered(org_id, event, filters).select(Registrant.id).switch(Registrant).order_by(Registrant.id)
    return [row.id for row in query.objects()]
