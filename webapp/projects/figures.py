"""A project's numbers and people: its events' registrations, check-ins and revenue together
(money per currency: amounts in different currencies are never added), and its participants, the
registrants of its events. Grouped queries only; nothing is loaded per registrant."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

import peewee as pw

from webapp.events.models import Event
from webapp.orders.models import Order, Registrant, holds_valid_ticket
from webapp.projects.models import Project, ProjectEvent
from webapp.spreadsheet import safe_cell


@dataclass
class EventFigures:
    event: Event
    registered: int = 0
    checked_in: int = 0
    revenue: dict[str, int] = field(default_factory=dict)  # {currency: minor units}


@dataclass
class ProjectFigures:
    events: list[EventFigures]

    @property
    def registered(self) -> int:
        return sum(e.registered for e in self.events)

    @property
    def checked_in(self) -> int:
        return sum(e.checked_in for e in self.events)

    @property
    def revenue(self) -> dict[str, int]:
        """Money collected per currency, currencies in alphabetical order."""
        totals: dict[str, int] = {}
        for figures in self.events:
            for currency, amount in figures.revenue.items():
                totals[currency] = totals.get(currency, 0) + amount
        return dict(sorted(totals.items()))


def _linked(project: Project, only: list[int] | None = None) -> pw.ModelSelect:
    """The project's event ids (`only`: of these; a member with grants sees their events only)."""
    query = ProjectEvent.select(ProjectEvent.event).where(ProjectEvent.project == project.id)
    return query.where(ProjectEvent.event.in_(only or [0])) if only is not None else query


def figures(project: Project, only: list[int] | None = None) -> ProjectFigures:
    """The project's events with their registered (valid tickets), checked-in and revenue (paid
    orders taken here, imported ones left out as on the event dashboard)."""
    events = list(
        Event.select()
        .where((Event.id.in_(_linked(project, only))) & (Event.organization == project.organization_id))
        .order_by(Event.starts_at, Event.id)
    )
    by_id = {e.id: EventFigures(e) for e in events}
    if not by_id:
        return ProjectFigures([])
    ids = list(by_id)
    people = (
        Registrant.select(Registrant.event, pw.fn.COUNT(Registrant.id), pw.fn.COUNT(Registrant.checked_in_at))
        .join(Order)
        .where(Registrant.event.in_(ids) & holds_valid_ticket())
        .group_by(Registrant.event)
    )
    for event_id, registered, checked_in in people.tuples():
        by_id[event_id].registered, by_id[event_id].checked_in = registered, checked_in
    money = (
        Order.select(Order.event, Order.currency, pw.fn.SUM(Order.total))
        .where(Order.event.in_(ids) & (Order.status == "paid") & (Order.source != "import"))
        .group_by(Order.event, Order.currency)
    )
    for event_id, currency, total in money.tuples():
        if total:
            by_id[event_id].revenue[currency] = int(total)
    return ProjectFigures(list(by_id.values()))


def participants(
    project: Project, *, only: list[int] | None = None, limit: int | None = None, after: int = 0
) -> list[Registrant]:
    """The registrants (not canceled) of the project's events, with their event, by id."""
    query = (
        Registrant.select(Registrant, Event, Order)
        .join(Event, on=(Registrant.event == Event.id))
        .switch(Registrant)
        .join(Order, on=(Registrant.order == Order.id))
        .where(
            Registrant.event.in_(_linked(project, only))
            & (Registrant.organization == project.organization_id)
            & (Registrant.canceled == False)  # noqa: E712
            & (Registrant.id > after)
        )
        .order_by(Registrant.id)
    )
    return list(query.limit(limit) if limit else query)


def participant_count(project: Project, only: list[int] | None = None) -> int:
    return (
        Registrant.select()
        .where(
            Registrant.event.in_(_linked(project, only))
            & (Registrant.organization == project.organization_id)
            & (Registrant.canceled == False)  # noqa: E712
        )
        .count()
    )


CSV_HEADER = ("name", "email", "event", "order", "order_status", "checked_in_at")
EXPORT_BATCH = 2000


def participants_csv(project: Project, only: list[int] | None = None) -> Iterator[str]:
    """The participants as CSV, written in keyset batches (cells escaped against formulas)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    after = 0
    while True:
        rows = participants(project, only=only, limit=EXPORT_BATCH, after=after)
        for r in rows:
            checked_in = r.checked_in_at.isoformat(timespec="seconds") + "Z" if r.checked_in_at else ""
            values = (r.name, r.email, r.event.name, r.order.code, r.order.status, checked_in)
            writer.writerow([safe_cell(v) for v in values])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if len(rows) < EXPORT_BATCH:
            return
        after = rows[-1].id


def visible(org_id: int, reachable_event_ids: list[int] | None) -> pw.ModelSelect:
    """The projects a member may see: all (None: their role reads every event), or those with at
    least one of the events they hold a grant on."""
    query = Project.for_org(org_id)
    if reachable_event_ids is not None:
        query = query.where(
            Project.id.in_(
                ProjectEvent.select(ProjectEvent.project).where(
                    (ProjectEvent.organization == org_id) & ProjectEvent.event.in_(reachable_event_ids or [0])
                )
            )
        )
    return query.order_by(Project.created_at.desc(), Project.id.desc())
