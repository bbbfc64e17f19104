"""The lobby: what a ticket holder's order page shows once they are in — the programme, their
groups' documents (and those the event's projects share with their participants), the online
join link (from a set time before the start), the venue map, the calendar file and what is new.
Only the order's secret link reaches it, and only while the order admits someone (paid, accepted
if it needed to be, a registrant not canceled)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from webapp.catalog import groups as catalog_groups
from webapp.db import utcnow
from webapp.documents import service as documents
from webapp.documents.models import Document
from webapp.events import announcements
from webapp.events.models import Event, EventAnnouncement
from webapp.orders.models import Order, Registrant


@dataclass
class Lobby:
    event: Event
    group_ids: set[int]
    documents: list[Document] = field(default_factory=list)
    news: list[EventAnnouncement] = field(default_factory=list)
    join_url: str = ""  # the online link, once it is shown
    join_opens_at: dt.datetime | None = None  # when an online link is set but not shown yet
    venue_map_url: str = ""


def admitted_registrants(order: Order) -> list[Registrant]:
    """The order's people who hold a ticket (none unless the order admits them)."""
    if order.status != "paid" or order.approval not in ("none", "approved"):
        return []
    return list(order.registrants.where(Registrant.canceled == False).order_by(Registrant.id))  # noqa: E712


def group_ids(order: Order, people: list[Registrant]) -> set[int]:
    """The participant groups of the order's ticket holders (no group: the event's default)."""
    default_id = None
    ids = set()
    for person in people:
        if person.group_id is None and default_id is None:
            default_id = catalog_groups.default_group(order.event).id
        ids.add(person.group_id or default_id)
    return ids


def join_link_opens_at(event: Event) -> dt.datetime:
    return event.starts_at - dt.timedelta(minutes=max(event.join_link_opens_minutes or 0, 0))


def for_order(order: Order, now: dt.datetime | None = None, project_ids: Iterable[int] = ()) -> Lobby | None:
    """The order's lobby, or None when nobody in the order holds a ticket. `project_ids`: the
    projects holding the order's event (webapp.projects, a higher layer, is asked by the view)."""
    people = admitted_registrants(order)
    if not people:
        return None
    event, now = order.event, now or utcnow()
    ids = group_ids(order, people)
    lobby = Lobby(
        event,
        ids,
        documents.for_lobby(event, ids, project_ids),
        announcements.for_event(event),
        venue_map_url=event.venue_map_url,
    )
    if event.online_url and now < event.ends_at:
        opens = join_link_opens_at(event)
        if now >= opens:
            lobby.join_url = event.online_url
        else:
            lobby.join_opens_at = opens
    return lobby


def document_for_order(order: Order, document_id: int, project_ids: Iterable[int] = ()) -> Document | None:
    """The document when this order's ticket holders may download it (checked on every request):
    one of the order's event, or of a project holding it (`project_ids`)."""
    people = admitted_registrants(order)
    if not people:
        return None
    document = Document.get_or_none((Document.id == document_id) & (Document.organization == order.organization_id))
    if document is None or document.event_id not in (None, order.event_id):
        return None
    return document if documents.visible_in_lobby(document, group_ids(order, people), project_ids) else None
