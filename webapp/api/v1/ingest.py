"""Event-tracking ingestion: POST events from the integrator's product, read them back processed
(canonical, on contact timelines) or raw (the intake, with processing errors)."""

from __future__ import annotations

import datetime as dt
import functools

from flask import g

from webapp.api.framework import conflict, invalid, operation
from webapp.api.schema import Array, Bool, DateTime, Email, Int, JsonObject, Obj, Str, parse_datetime
from webapp.contacts import ingest
from webapp.contacts.ingest_models import EVENT_TYPES, INCOMING_STATES, IncomingEvent
from webapp.contacts.models import Activity, Contact
from webapp.db import utcnow
from webapp.email_address import is_valid_email

MAX_BULK = 1000
PROPERTIES_BYTES = 4096
FUTURE_SLACK = dt.timedelta(days=1)


class _EventShape(Obj):
    """ClientEvent read by a short path when an event is plainly well-formed: a bulk post carries
    up to 1,000 of them, and the declared checks cost more than the rest of the request. Anything
    else (a missing or unusual value, an escape in the properties) goes through the declared
    checks, so every answer and error message is theirs."""

    def convert(self, value, path, errors):
        if type(value) is dict:
            event = _plain_event(value)
            if event is not None:
                return event
        return super().convert(value, path, errors)


ClientEvent = _EventShape(
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
            min_length=1,
            max_length=255,
            description="Sent again with the same key, the event is stored once; "
            "the same key with a different event answers 409.",
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


_FIELD_NAMES = frozenset(ClientEvent.fields)
_TYPES = frozenset(EVENT_TYPES)
_parse_time = functools.lru_cache(maxsize=256)(parse_datetime)  # a batch often repeats its times


def _plain_event(value: dict) -> dict | None:
    """The event as the declared checks would load it, or None when it needs them (see
    _EventShape). Mirrors Str, Email, DateTime and JsonObject: same limits, same stripping."""
    if not value.keys() <= _FIELD_NAMES:
        return None
    kind = value.get("type")
    if type(kind) is not str or kind not in _TYPES:
        return None
    event = {"type": kind}
    if "email" in value:
        email = value["email"]
        if type(email) is not str or len(email) > 254 or "\x00" in email:
            return None
        email = email.strip()
        if not is_valid_email(email):
            return None
        event["email"] = email.lower()
    if "user_id" in value:
        user_id = _plain_text(value["user_id"], 128)
        if user_id is None:
            return None
        event["user_id"] = user_id
    if "occurred_at" in value:
        when = value["occurred_at"]
        if type(when) is not str:
            return None
        try:
            event["occurred_at"] = _parse_time(when)
        except ValueError:
            return None
    if "properties" in value:
        properties = value["properties"]
        if type(properties) is not dict:
            return None
        # The text to be stored (sorted, ASCII). Without a \u escape it has the size the declared
        # check measures (its length is its size in bytes) and holds no NUL; with one, the
        # declared check measures the UTF-8 size itself.
        stored = ingest.properties_json(properties)
        if len(stored) > PROPERTIES_BYTES or "\\u" in stored:
            return None
        event["properties"] = ingest.Properties(properties, stored)
    if "idempotency_key" in value:
        key = _plain_text(value["idempotency_key"], 255)
        if key is None:
            return None
        event["idempotency_key"] = key
    return event


def _plain_text(value, max_length: int) -> str | None:
    """A Str(min_length=1, max_length=...) value, stripped, or None when it needs the checks."""
    if type(value) is not str or len(value) > max_length or "\x00" in value:
        return None
    value = value.strip()
    return value or None


def _check(event: dict, where: str = "", latest: dt.datetime | None = None) -> None:
    """What the schema cannot say: a person is named, and the event is not in the future."""
    if not event.get("email") and not event.get("user_id"):
        raise invalid("Identify the person.", **{_at(where, "email"): "Send email or user_id."})
    occurred_at = event.get("occurred_at")
    if occurred_at and occurred_at > (latest or utcnow() + FUTURE_SLACK):
        raise invalid("An event cannot happen in the future.", **{_at(where, "occurred_at"): "More than a day ahead."})


def _at(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _status_of(ids: list[int]) -> dict[int, str]:
    """Status by id of the events no longer pending (the others are)."""
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
    try:
        (result,) = ingest.accept(g.api_org_id, [body])
    except ingest.KeyReused as exc:
        raise conflict(str(exc), idempotency_key="Already used for a different event: use a new key.") from None
    return {"id": result.id, "duplicate": result.duplicate, "status": _status_of([result.id]).get(result.id, "pending")}


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
    latest = utcnow() + FUTURE_SLACK
    for index, event in enumerate(body["events"]):
        if not (event.get("email") or event.get("user_id")) or event.get("occurred_at", dt.datetime.min) > latest:
            _check(event, f"events[{index}]", latest)
    try:
        results = ingest.accept(g.api_org_id, body["events"])
    except ingest.KeyReused as exc:
        field = f"events[{exc.index}].idempotency_key"
        raise conflict(str(exc), **{field: "Already used for a different event: use a new key."}) from None
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
