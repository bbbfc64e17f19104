"""Numbers for the console: the organization's events at a glance and one event's dashboard.

Everything is computed with grouped queries (one per figure), never by loading registrants.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import peewee as pw

from webapp.catalog.models import Coupon, Product
from webapp.checkin.models import Attendance, CheckinList
from webapp.db import is_postgres, utcnow
from webapp.events.models import Event
from webapp.orders.capacity import availability
from webapp.orders.models import Order, OrderItem, Registrant, holds_valid_ticket
from webapp.payments.models import Payment
from webapp.timeutil import zone

LIVE_BEFORE = dt.timedelta(hours=6)  # the door opens before the start: refresh from then on
LIVE_AFTER = dt.timedelta(hours=2)


@dataclass
class EventSummary:
    event: Event
    registered: int = 0
    pending: int = 0
    revenue: int = 0
    checked_in: int = 0


def _admitted(query: pw.ModelSelect) -> pw.ModelSelect:
    """Registrants who hold a valid ticket: not canceled, their order paid and not declined."""
    return query.where(holds_valid_ticket())


def org_overview(org_id: int, *, include_archived: bool = False) -> list[EventSummary]:
    events = Event.for_org(org_id).order_by(Event.starts_at.desc())
    if not include_archived:
        events = events.where(Event.status != "archived")
    summaries = {e.id: EventSummary(e) for e in events}
    if not summaries:
        return []
    ids = list(summaries)
    admitted = _admitted(
        Registrant.select(
            Registrant.event,
            pw.fn.COUNT(Registrant.id),
            pw.fn.COUNT(Registrant.checked_in_at),
        )
        .join(Order)
        .where(Registrant.event.in_(ids))
    ).group_by(Registrant.event)
    for event_id, registered, checked_in in admitted.tuples():
        summaries[event_id].registered = registered
        summaries[event_id].checked_in = checked_in
    pending = (
        Registrant.select(Registrant.event, pw.fn.COUNT(Registrant.id))
        .join(Order)
        .where(Registrant.event.in_(ids) & (Order.status == "pending") & (Registrant.canceled == False))  # noqa: E712
        .group_by(Registrant.event)
    )
    for event_id, n in pending.tuples():
        summaries[event_id].pending = n
    revenue = (
        Order.select(Order.event, pw.fn.SUM(Order.total))
        .where(Order.event.in_(ids) & (Order.status == "paid") & (Order.source != "import"))
        .group_by(Order.event)
    )
    for event_id, total in revenue.tuples():
        summaries[event_id].revenue = int(total or 0)
    return list(summaries.values())


@dataclass
class ProductLine:
    product: Product
    sold: int = 0
    pending: int = 0
    remaining: int | None = None


@dataclass
class EventStats:
    event: Event
    registered: int = 0
    pending: int = 0
    canceled: int = 0
    revenue: int = 0  # money collected: paid orders taken here (online, bank, at the door, by staff)
    money_expected: int = 0  # pending orders still holding their seats
    imported_value: int = 0  # rows of a CSV import marked paid, at their list price: not collected here
    checked_in: int = 0
    inside: int = 0
    expected: int = 0
    products: list[ProductLine] = field(default_factory=list)
    coupons: list[dict] = field(default_factory=list)
    orders_by_status: dict[str, int] = field(default_factory=dict)
    payments_by_state: list[dict] = field(default_factory=list)
    registrations_by_day: list[tuple[dt.date, int]] = field(default_factory=list)
    revenue_by_day: list[tuple[dt.date, int]] = field(default_factory=list)

    @property
    def no_shows(self) -> int:
        return max(self.expected - self.checked_in, 0)

    @property
    def checked_in_percent(self) -> int:
        return round(self.checked_in * 100 / self.expected) if self.expected else 0


def is_live(event: Event, now: dt.datetime | None = None) -> bool:
    """The event is running (or its doors are about to open): the dashboard refreshes itself."""
    now = now or utcnow()
    return event.starts_at - LIVE_BEFORE <= now <= event.ends_at + LIVE_AFTER


def is_over(event: Event, now: dt.datetime | None = None) -> bool:
    return (now or utcnow()) > event.ends_at


def attendance(event: Event) -> dict[str, int]:
    """Checked in and expected (the live part of the dashboard)."""
    admitted = _admitted(
        Registrant.select(pw.fn.COUNT(Registrant.id), pw.fn.COUNT(Registrant.checked_in_at))
        .join(Order)
        .switch(Registrant)
        .join(Product)
        .where((Registrant.event == event.id) & (Product.admits_entry == True))  # noqa: E712
    )
    expected, checked_in = admitted.tuples().get()
    return {"expected": expected, "checked_in": checked_in, "inside": _inside(event)}


def _inside(event: Event) -> int:
    return (
        Attendance.select(pw.fn.COUNT(pw.fn.DISTINCT(Attendance.registrant)))
        .join(CheckinList)
        .where((CheckinList.event == event.id) & (Attendance.inside == True))  # noqa: E712
        .scalar()
        or 0
    )


def event_stats(event: Event) -> EventStats:
    stats = EventStats(event=event)
    live = attendance(event)
    stats.expected, stats.checked_in, stats.inside = live["expected"], live["checked_in"], live["inside"]
    registered = _admitted(
        Registrant.select(pw.fn.COUNT(Registrant.id)).join(Order).where(Registrant.event == event.id)
    )
    stats.registered = registered.scalar() or 0
    stats.canceled = (
        Registrant.select().where((Registrant.event == event.id) & (Registrant.canceled == True)).count()  # noqa: E712
    )
    for status, n in (
        Order.select(Order.status, pw.fn.COUNT(Order.id)).where(Order.event == event.id).group_by(Order.status).tuples()
    ):
        stats.orders_by_status[status] = n
    stats.pending = (
        Registrant.select()
        .join(Order)
        .where((Registrant.event == event.id) & (Order.status == "pending") & (Registrant.canceled == False))  # noqa: E712
        .count()
    )
    for status, source, total in (
        Order.select(Order.status, Order.source, pw.fn.SUM(Order.total))
        .where((Order.event == event.id) & (Order.status.in_(("paid", "pending"))))
        .group_by(Order.status, Order.source)
        .tuples()
    ):
        if status == "pending":
            stats.money_expected += int(total or 0)
        elif source == "import":
            stats.imported_value += int(total or 0)
        else:
            stats.revenue += int(total or 0)
    stats.products = _products(event)
    stats.coupons = _coupons(event)
    stats.payments_by_state = _payments(event)
    offset = _utc_offset_minutes(event)
    stats.registrations_by_day = _by_day(
        Registrant.select(_day(Registrant.created_at, offset), pw.fn.COUNT(Registrant.id))
        .join(Order)
        .where((Registrant.event == event.id) & (Order.status.in_(("paid", "pending"))))
    )
    stats.revenue_by_day = _by_day(
        Order.select(_day(Order.paid_at, offset), pw.fn.SUM(Order.total)).where(
            (Order.event == event.id)
            & (Order.status == "paid")
            & Order.paid_at.is_null(False)
            & (Order.source != "import")
        )
    )
    return stats


def _products(event: Event) -> list[ProductLine]:
    now = utcnow()
    products = list(Product.select().where(Product.event == event.id).order_by(Product.position, Product.id))
    lines = {p.id: ProductLine(p) for p in products}
    counts = (
        OrderItem.select(OrderItem.product, Order.status, pw.fn.COUNT(OrderItem.id))
        .join(Order)
        .where(
            (Order.event == event.id)
            & (OrderItem.canceled == False)  # noqa: E712
            & (
                (Order.status == "paid")
                | ((Order.status == "pending") & (Order.expires_at.is_null() | (Order.expires_at > now)))
            )
        )
        .group_by(OrderItem.product, Order.status)
        .tuples()
    )
    for product_id, status, n in counts:
        if product_id in lines:
            if status == "paid":
                lines[product_id].sold = n
            else:
                lines[product_id].pending = n
    left = availability(event)
    for product_id, line in lines.items():
        line.remaining = left.get(product_id)
    return list(lines.values())


def _coupons(event: Event) -> list[dict]:
    coupons = list(Coupon.select().where(Coupon.event == event.id).order_by(Coupon.code))
    if not coupons:
        return []
    usage = {
        coupon_id: (n, int(discount or 0))
        for coupon_id, n, discount in Order.select(Order.coupon, pw.fn.COUNT(Order.id), pw.fn.SUM(Order.discount))
        .where((Order.event == event.id) & (Order.status == "paid") & Order.coupon.is_null(False))
        .group_by(Order.coupon)
        .tuples()
    }
    return [
        {
            "coupon": c,
            "paid_orders": usage.get(c.id, (0, 0))[0],
            "discount": usage.get(c.id, (0, 0))[1],
            "used": c.times_used,
            "limit": c.usage_limit,
        }
        for c in coupons
    ]


def _payments(event: Event) -> list[dict]:
    rows = (
        Payment.select(Payment.state, Payment.gateway, pw.fn.COUNT(Payment.id), pw.fn.SUM(Payment.amount))
        .join(Order)
        .where(Order.event == event.id)
        .group_by(Payment.state, Payment.gateway)
        .order_by(Payment.state, Payment.gateway)
        .tuples()
    )
    return [{"state": s, "gateway": g, "count": n, "amount": int(a or 0)} for s, g, n, a in rows]


def _utc_offset_minutes(event: Event) -> int:
    """The event's UTC offset at its start, used to cut days at local midnight."""
    offset = event.starts_at.replace(tzinfo=dt.UTC).astimezone(zone(event.timezone)).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


def _day(column: pw.Field, offset_minutes: int):
    """The local calendar day of a UTC timestamp column, in SQL."""
    if is_postgres():
        shifted = pw.NodeList((column, pw.SQL("+ (interval '1 minute' * %s)", (offset_minutes,))))
        return pw.fn.DATE(shifted).coerce(False).alias("day")
    return pw.fn.date(column, f"{offset_minutes:+d} minutes").coerce(False).alias("day")


def _by_day(query: pw.ModelSelect) -> list[tuple[dt.date, int]]:
    rows = query.group_by(pw.SQL("day")).order_by(pw.SQL("day")).tuples()
    out = []
    for day, value in rows:
        if isinstance(day, str):
            day = dt.date.fromisoformat(day[:10])
        elif isinstance(day, dt.datetime):
            day = day.date()
        out.append((day, int(value or 0)))
    return out
