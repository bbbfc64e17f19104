"""The console's home: the organization at a glance (totals, upcoming events, sales over time, the
doors of today's events) and, while it is new, the next steps to a first event on sale.

Each figure is one grouped query over the organization's rows; nothing loads registrants.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import peewee as pw

from webapp.accounts.models import MemberInvitation, Membership, Organization
from webapp.catalog.models import Product
from webapp.console.dashboard import EventSummary, _by_day, _day, attendance, org_overview
from webapp.contacts.models import Contact
from webapp.db import utcnow
from webapp.events.models import Event
from webapp.mail.models import SendingDomain
from webapp.orders.models import Order, Registrant
from webapp.timeutil import to_local, zone

SALES_DAYS = 30  # the sales chart shows the last month
UPCOMING = 5


@dataclass
class Step:
    key: str  # event, ticket, publish, domain, team
    done: bool


@dataclass
class DoorToday:
    event: Event
    expected: int
    checked_in: int

    @property
    def percent(self) -> int:
        return round(self.checked_in * 100 / self.expected) if self.expected else 0


@dataclass
class OrgHome:
    events: int = 0
    registrations: int = 0
    contacts: int = 0
    collected: dict[str, int] = field(default_factory=dict)  # currency -> paid orders taken here
    upcoming: list[EventSummary] = field(default_factory=list)
    sales_by_day: list[tuple[dt.date, int]] = field(default_factory=list)  # registrations per day
    today: list[DoorToday] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    first_day: dt.date | None = None  # of the sales chart, in the organization's time zone
    last_day: dt.date | None = None

    @property
    def new(self) -> bool:
        """Some step to a first event on sale is still open: the home teaches them."""
        return not all(step.done for step in self.steps)


def org_home(org: Organization, now: dt.datetime | None = None) -> OrgHome:
    now = now or utcnow()
    summaries = org_overview(org.id)
    home = OrgHome(
        events=len(summaries),
        registrations=sum(s.registered for s in summaries),
        contacts=Contact.for_org(org.id).count(),
        collected=_collected(org.id),
        upcoming=sorted((s for s in summaries if s.event.ends_at >= now), key=lambda s: s.event.starts_at)[:UPCOMING],
        today=_doors_today([s.event for s in summaries], now),
        steps=next_steps(org.id),
    )
    home.last_day = to_local(now, org.timezone).date()
    home.first_day = home.last_day - dt.timedelta(days=SALES_DAYS - 1)
    home.sales_by_day = _sales_by_day(org, home.first_day, now)
    return home


def _collected(org_id: int) -> dict[str, int]:
    """Money collected per currency: paid orders taken here (CSV-imported rows are not money in)."""
    rows = (
        Order.select(Order.currency, pw.fn.SUM(Order.total))
        .where((Order.organization == org_id) & (Order.status == "paid") & (Order.source != "import"))
        .group_by(Order.currency)
        .order_by(Order.currency)
        .tuples()
    )
    return {currency: int(total or 0) for currency, total in rows if total}


def _sales_by_day(org: Organization, first_day: dt.date, now: dt.datetime) -> list[tuple[dt.date, int]]:
    """Tickets taken per day (paid or still pending), days cut at midnight in the organization's zone."""
    offset = now.replace(tzinfo=dt.UTC).astimezone(zone(org.timezone)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    since = now - dt.timedelta(days=SALES_DAYS + 1)
    points = _by_day(
        Registrant.select(_day(Registrant.created_at, minutes), pw.fn.COUNT(Registrant.id))
        .join(Order)
        .where(
            (Registrant.organization == org.id)
            & (Registrant.created_at >= since)
            & (Order.status.in_(("paid", "pending")))
            & (Order.source != "import")
        )
    )
    points = [(day, n) for day, n in points if day >= first_day]
    if not points or points[0][0] != first_day:
        points.insert(0, (first_day, 0))  # the chart starts on the first day shown
    return points


def _doors_today(events: list[Event], now: dt.datetime) -> list[DoorToday]:
    """Events running today in their own time zone, with their check-in progress."""
    doors = []
    for event in events:
        today = to_local(now, event.timezone).date()
        if to_local(event.starts_at, event.timezone).date() <= today <= to_local(event.ends_at, event.timezone).date():
            numbers = attendance(event)
            doors.append(DoorToday(event, numbers["expected"], numbers["checked_in"]))
    return sorted(doors, key=lambda d: d.event.starts_at)


def next_steps(org_id: int) -> list[Step]:
    """The way to a first event on sale, each step ticked once the organization has done it."""
    events = Event.for_org(org_id)
    return [
        Step("event", events.exists()),
        Step("ticket", Product.for_org(org_id).exists()),
        Step("publish", events.where(Event.status.in_(("published", "closed", "archived"))).exists()),
        Step("domain", SendingDomain.for_org(org_id).where(SendingDomain.verified_at.is_null(False)).exists()),
        Step(
            "team",
            Membership.select().where(Membership.organization == org_id).count() > 1
            or MemberInvitation.for_org(org_id).exists(),
        ),
    ]
