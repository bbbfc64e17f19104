"""Events: list, get, create, update, publish and close (EVENTS' services do the rules)."""

from __future__ import annotations

from flask import g

from webapp import timeutil
from webapp.api.framework import invalid, operation
from webapp.api.schema import Array, Bool, DateTime, Int, Line, Obj, Out, Str
from webapp.api.v1.common import actor_label, field_error, org, state_conflict, wall
from webapp.db import db
from webapp.events import service as events
from webapp.events.models import EVENT_STATUSES, MOST_PER_ORDER, MOST_SEATS, Event
from webapp.money import CURRENCIES

REGISTRATION_RENAME = {
    "opens_at": "registration_opens_at",
    "closes_at": "registration_closes_at",
}

EventOut = Out(
    "Event",
    {
        "id": Int(),
        "slug": Str(),
        "name": Str(),
        "summary": Str(),
        "description_md": Str(),
        "status": Str(enum=EVENT_STATUSES),
        "timezone": Str(),
        "starts_at": DateTime(),
        "ends_at": DateTime(),
        "venue_name": Str(),
        "venue_address": Str(),
        "online_url": Str(),
        "tags": Array(Str()),
        "currency": Str(),
        "capacity": Int(null=True),
        "max_tickets_per_order": Int(),
        "max_registrations_per_email": Int(null=True),
        "registration_opens_at": DateTime(null=True),
        "registration_closes_at": DateTime(null=True),
        "cancel_allowed_until": DateTime(null=True),
        "invite_only": Bool(),
        "requires_approval": Bool(),
        "registration_state": Str(
            source=lambda e: events.registration_state(e),
            description="open, or why not: draft, archived, closed, not_open, ended",
        ),
        "landing_url": Str(source=lambda e: events.landing_url(e)),
        "created_at": DateTime(),
        "updated_at": DateTime(),
    },
)

_details = {
    "name": Line(min_length=1, max_length=200),
    "slug": Str(
        min_length=1, max_length=80, description="Lower-case letters, digits and dashes (default: from the name)."
    ),
    "summary": Str(max_length=500),
    "description_md": Str(max_length=50000, strip=False),
    "timezone": Str(
        min_length=1, max_length=64, description="IANA name, e.g. Asia/Jakarta (default: the organization's)."
    ),
    "starts_at": DateTime(),
    "ends_at": DateTime(),
    "venue_name": Str(max_length=200),
    "venue_address": Str(max_length=2000),
    "online_url": Str(max_length=500),
    "tags": Array(Str(max_length=40), max_items=30),
    "currency": Str(enum=CURRENCIES),
    "capacity": Int(minimum=1, maximum=MOST_SEATS, null=True),
    "max_tickets_per_order": Int(minimum=1, maximum=MOST_PER_ORDER),
    "max_registrations_per_email": Int(
        minimum=1,
        maximum=1000,
        null=True,
        description="Registrations one email address may hold, as attendee or buyer (null: no limit). "
        "Orders created through this API count; registrants added through it do not.",
    ),
    "registration_opens_at": DateTime(null=True),
    "registration_closes_at": DateTime(null=True),
    "cancel_allowed_until": DateTime(null=True),
    "invite_only": Bool(),
    "requires_approval": Bool(),
}
EventCreate = Obj("EventCreate", _details, required=("name", "starts_at", "ends_at"))
EventUpdate = Obj("EventUpdate", _details, description="Only the fields sent change.")

REGISTRATION_KEYS = (
    "capacity",
    "max_tickets_per_order",
    "max_registrations_per_email",
    "registration_opens_at",
    "registration_closes_at",
    "cancel_allowed_until",
    "invite_only",
    "requires_approval",
)


def _details_data(event: Event | None, body: dict) -> dict:
    """The full set of details the service takes: the event's current ones, overridden by `body`."""
    organization = org()
    tz = body.get("timezone") or (event.timezone if event else organization.timezone)
    current = {
        "name": event.name if event else "",
        "slug": event.slug if event else "",
        "summary": event.summary if event else "",
        "description_md": event.description_md if event else "",
        "venue_name": event.venue_name if event else "",
        "venue_address": event.venue_address if event else "",
        "online_url": event.online_url if event else "",
        "tags": event.tags if event else [],
        "currency": event.currency if event else organization.currency,
    }
    data = {**current, **{k: v for k, v in body.items() if k in current}}
    data["timezone"] = tz
    try:
        timeutil.zone(tz)
    except ValueError:
        raise invalid("Unknown time zone.", timezone="Use an IANA time zone name such as Asia/Jakarta.") from None
    starts = body.get("starts_at") or (event.starts_at if event else None)
    ends = body.get("ends_at") or (event.ends_at if event else None)
    data["starts_at"], data["ends_at"] = wall(starts, tz), wall(ends, tz)
    return data


def _registration_data(event: Event, body: dict) -> dict:
    tz = event.timezone
    merged = {key: body[key] if key in body else getattr(event, key) for key in REGISTRATION_KEYS}
    return {
        "opens_at": wall(merged["registration_opens_at"], tz),
        "closes_at": wall(merged["registration_closes_at"], tz),
        "cancel_allowed_until": wall(merged["cancel_allowed_until"], tz),
        "capacity": merged["capacity"],
        "max_tickets_per_order": merged["max_tickets_per_order"],
        "max_registrations_per_email": merged["max_registrations_per_email"],
        "invite_only": merged["invite_only"],
        "requires_approval": merged["requires_approval"],
        "approval_limit": event.approval_limit,
    }


def get_event(event_id: int) -> Event:
    return Event.get_for_org(g.api_org_id, event_id)


@operation(
    "GET",
    "/events",
    tag="Events",
    scope="events",
    summary="List events",
    page=EventOut,
    query={"status": Str(enum=EVENT_STATUSES), "starts_after": DateTime(), "starts_before": DateTime()},
)
def list_events(query):
    select = Event.for_org(g.api_org_id)
    if "status" in query:
        select = select.where(Event.status == query["status"])
    if "starts_after" in query:
        select = select.where(Event.starts_at >= query["starts_after"])
    if "starts_before" in query:
        select = select.where(Event.starts_at < query["starts_before"])
    return select


@operation("GET", "/events/<int:event_id>", tag="Events", scope="events", summary="Get an event", response=EventOut)
def read_event(event_id):
    return get_event(event_id)


@operation(
    "POST",
    "/events",
    tag="Events",
    scope="events",
    summary="Create an event (a draft)",
    body=EventCreate,
    response=EventOut,
    status=201,
)
def create_event(body):
    """Times are UTC instants; the event shows them in its `timezone`."""

    try:
        with db.atomic():
            event = events.create_event(org(), _details_data(None, body), actor=None, actor_label=actor_label())
            if any(key in body for key in REGISTRATION_KEYS):
                events.update_registration(
                    event, _registration_data(event, body), actor=None, actor_label=actor_label()
                )
    except events.FieldError as exc:
        raise field_error(exc, REGISTRATION_RENAME) from None
    return Event.get_by_id(event.id)


@operation(
    "PATCH",
    "/events/<int:event_id>",
    tag="Events",
    scope="events",
    summary="Update an event",
    body=EventUpdate,
    response=EventOut,
)
def update_event(event_id, body):

    event = get_event(event_id)
    try:
        with db.atomic():
            if any(key in body for key in _details if key not in REGISTRATION_KEYS):
                events.update_event(event, _details_data(event, body), actor=None, actor_label=actor_label())
            if any(key in body for key in REGISTRATION_KEYS):
                events.update_registration(
                    event, _registration_data(event, body), actor=None, actor_label=actor_label()
                )
    except events.FieldError as exc:
        raise field_error(exc, REGISTRATION_RENAME) from None
    return Event.get_by_id(event.id)


def _transition(event_id: int, status: str) -> Event:
    event = get_event(event_id)
    try:
        events.set_status(event, status, actor=None, actor_label=actor_label())
    except events.FieldError as exc:
        raise state_conflict(exc) from None
    return Event.get_by_id(event.id)


@operation(
    "POST",
    "/events/<int:event_id>/publish",
    tag="Events",
    scope="events",
    summary="Publish an event",
    response=EventOut,
)
def publish_event(event_id):
    """Opens the landing page. 409 when the event cannot be published (no ticket type, already
    ended, or not a draft or closed event)."""
    event = get_event(event_id)
    if event.status == "published":
        return event
    return _transition(event_id, "published")


@operation(
    "POST",
    "/events/<int:event_id>/close",
    tag="Events",
    scope="events",
    summary="Close registration",
    response=EventOut,
)
def close_event(event_id):
    event = get_event(event_id)
    if event.status == "closed":
        return event
    return _transition(event_id, "closed")
