"""Event-tracking ingestion: POST events from the integrator's product, read them back processed
(canonical, on contact timelines) or raw (the intake, with processing errors)."""

from __future__ import annotations

import datetime as dt

from flask import g

from webapp.api.framework import invalid, operation
from webapp.api.schema import Array, Bool, DateTime, Email, Int, JsonObject, Obj, Str
from webapp.contacts import ingest
from webapp.contacts.ingest_models import EVENT_TYPES, INCOMING_STATES, IncomingEvent
from webapp.contacts.models import Activity, Contact
from webapp.db import utcnow

MAX_BULK = 1000
PROPERTIES_BYTES = 4096
FUTURE_SLACK = dt.timedelta(days=1)

ClientEvent = Obj(
    "ClientEvent",
    {
        "type": Str(enum=EVENT_TYPES, description="What happened."),
        "email": Email(description="The person's email; a new contact is created for an unknown one."),
        "user_id": Str(
            min_length=1, max_length=128, description="Your id for the person; enough once a contact carries it."
        ),
        "occurred_at": DateTime(description="When it happened (default: when it is received)."),
        "properties": JsonObject(
            max_bytes=PROPERTIES_BYTES, description=f"Anything about the event, at most {PROPERTIES_BYTES} bytes."
        ),
        "idempotency_key": Str(
            min_length=1, max_length=255, description="Sent again with the same key, the event is stored once."
        ),
    },
    required=("type",),
    description="One product event. Identify the person by `email` or `user_id` (or both).",
)
ClientEventBatch = Obj(
    "ClientEventBatch",
    {"events": Array(ClientEvent, min_items=1, max_items=MAX_BULK)},
    required=("events",),
)
AcceptedEvent = Obj(
    "AcceptedEvent",
    {
        "id": Int(description="The intake id (see /public/authenticated/events/incoming)."),
        "duplicate": Bool(description="True when an event with this idempotency_key was already stored."),
        "status": Str(enum=INCOMING_STATES, description="Processing status at the time of the answer."),
    },
    required=("id", "duplicate", "status"),
)
AcceptedBatch = Obj(
    "AcceptedBatch",
    {"accepted": Int(), "duplicates": Int(), "events": Array(AcceptedEvent)},
    required=("accepted", "duplicates", "events"),
)
IncomingOut = Obj(
    "IncomingEvent",
    {
        "id": Int(),
        "type": Str(),
        "email": Str(null=True),
        "user_id": Str(null=True),
        "occurred_at": DateTime(),
        "properties": JsonObject(),
        "idempotency_key": Str(null=True),
        "status": Str(enum=INCOMING_STATES),
        "process_error": Str(null=True),
        "contact_id": Int(null=True),
        "activity_id": Int(null=True, description="The canonical event's id once processed."),
        "received_at": DateTime(),
        "processed_at": DateTime(null=True),
    },
    required=(
        "id",
        "type",
        "email",
        "user_id",
        "occurred_at",
        "properties",
        "idempotency_key",
        "status",
        "process_error",
        "contact_id",
        "activity_id",
        "received_at",
        "processed_at",
    ),
)
CanonicalEvent = Obj(
    "CanonicalEvent",
    {
        "id": Int(),
        "type": Str(enum=EVENT_TYPES, source="kind"),
        "contact_id": Int(source=lambda a: a.contact_id),
        "email": Str(source=lambda a: a.contact.email),
        "occurred_at": DateTime(),
        "summary": Str(),
        "properties": JsonObject(source=lambda a: (a.data or {}).get("properties", {})),
        "incoming_id": Int(null=True, source=lambda a: (a.data or {}).get("incoming_id")),
        "recorded_at": DateTime(source="created_at"),
    },
    required=(
        "id",
        "type",
        "contact_id",
        "email",
        "occurred_at",
        "summary",
        "properties",
        "incoming_id",
        "recorded_at",
    ),
)


def _check(event: dict, where: str = "") -> None:
    prefix = f"{where}." if where else ""
    if not event.get("email") and not event.get("user_id"):
        raise invalid("Identify the person.", **{f"{prefix}email": "Send email or user_id."})
    if event.get("occurred_at") and event["occurred_at"] > utcnow() + FUTURE_SLACK:
        raise invalid("An event cannot happen in the future.", **{f"{prefix}occurred_at": "More than a day ahead."})


def _status_of(ids: list[int]) -> dict[int, str]:
    return ingest.statuses(g.api_org_id, ids)


@operation(
    "POST",
    "/client/events",
    tag="Event tracking",
    scope="ingest",
    summary="Send one event",
    body=ClientEvent,
    response=AcceptedEvent,
    status=202,
)
def client_event(body):
    """Stores the event and answers at once; processing (contact, timeline, tag rules) follows
    in the background. Follow it in /public/authenticated/events/incoming."""
    _check(body)
    (result,) = ingest.accept(g.api_org_id, [body])
    return {"id": result.id, "duplicate": result.duplicate, "status": _status_of([result.id])[result.id]}


@operation(
    "POST",
    "/client/events/bulk",
    tag="Event tracking",
    scope="ingest",
    summary="Send up to 1,000 events",
    body=ClientEventBatch,
    response=AcceptedBatch,
    status=202,
    max_body=8 * 1024 * 1024,
)
def client_events_bulk(body):
    """All or nothing at the door: one invalid event refuses the request (422 names it as
    events[i].field). Accepted events are then processed one by one; a failing one is marked
    failed in the intake without holding up the others."""
    for index, event in enumerate(body["events"]):
        _check(event, f"events[{index}]")
    results = ingest.accept(g.api_org_id, body["events"])
    statuses = _status_of([r.id for r in results])
    return {
        "accepted": sum(1 for r in results if not r.duplicate),
        "duplicates": sum(1 for r in results if r.duplicate),
        "events": [{"id": r.id, "duplicate": r.duplicate, "status": statuses.get(r.id, "pending")} for r in results],
    }


@operation(
    "GET",
    "/public/authenticated/events",
    tag="Event tracking",
    scope="ingest",
    summary="List processed events",
    page=CanonicalEvent,
    query={
        "contact_id": Int(minimum=1, maximum=2**31 - 1),
        "email": Email(),
        "type": Str(enum=EVENT_TYPES),
        "since": DateTime(description="occurred_at at or after"),
        "until": DateTime(description="occurred_at before"),
    },
)
def list_tracked_events(query):
    """The canonical events on contact timelines, newest first."""
    select = (
        Activity.select(Activity, Contact)
        .join(Contact)
        .where((Activity.organization == g.api_org_id) & Activity.kind.in_(EVENT_TYPES))
    )
    if "contact_id" in query:
        select = select.where(Activity.contact == query["contact_id"])
    if "email" in query:
        select = select.where(Contact.email == query["email"])
    if "type" in query:
        select = select.where(Activity.kind == query["type"])
    if "since" in query:
        select = select.where(Activity.occurred_at >= query["since"])
    if "until" in query:
        select = select.where(Activity.occurred_at < query["until"])
    return select


@operation(
    "GET",
    "/public/authenticated/events/incoming",
    tag="Event tracking",
    scope="ingest",
    summary="List the raw intake",
    page=IncomingOut,
    query={
        "status": Str(enum=INCOMING_STATES),
        "type": Str(enum=EVENT_TYPES),
        "since": DateTime(description="received_at at or after"),
        "until": DateTime(description="received_at before"),
    },
)
def list_incoming_events(query):
    """Every event as received, with its processing status and, for failed ones, the reason."""
    select = IncomingEvent.for_org(g.api_org_id)
    if "status" in query:
        select = select.where(IncomingEvent.status == query["status"])
    if "type" in query:
        select = select.where(IncomingEvent.type == query["type"])
    if "since" in query:
        select = select.where(IncomingEvent.received_at >= query["since"])
    if "until" in query:
        select = select.where(IncomingEvent.received_at < query["until"])
    return select
