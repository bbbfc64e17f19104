"""Check-ins: redeem (the door scanner's scan, over a key or the door staff's session), undo, live
numbers, the event's lists and the log of scans.

A scan is answered 200 with the answer in the body whatever the verdict (`result` "ok" or "error"
with a `reason` of the fixed vocabulary): the attempt was made and logged. 4xx means the request
itself was wrong (unknown event or list, bad fields, a role that may not force).
"""

from __future__ import annotations

from flask import g
from flask_login import current_user

from webapp.accounts.models import User
from webapp.api.framework import MAX_ID, ApiError, invalid, operation
from webapp.api.schema import AnyValue, Array, Bool, DateTime, Int, Obj, Out, Str
from webapp.api.v1.events import get_event
from webapp.checkin import door, lists, queries, service
from webapp.checkin.models import CHECKIN_REASONS, CHECKIN_RESULTS, Checkin, CheckinList
from webapp.events.models import Event

TAG = "Check-in"
ID = Int(minimum=1, maximum=MAX_ID)

ScanRequest = Obj(
    "ScanRequest",
    {
        "secret": Str(
            min_length=1,
            max_length=500,
            description="What was scanned (the QR content); text that is no ticket secret answers `invalid`.",
        ),
        "list": Int(
            null=True, minimum=1, maximum=MAX_ID, description="Check-in list id (default: the event's default list)."
        ),
        "gate": Str(
            null=True, max_length=service.GATE_MAX, description="The entrance, as the log and numbers name it."
        ),
        "nonce": Str(
            null=True,
            max_length=service.NONCE_MAX,
            description="One per scan (a UUID does): sent again, the first answer is replayed.",
        ),
        "kind": Str(enum=service.KINDS),
        "force_reason": Str(
            null=True, max_length=service.FORCE_REASON_MAX, description="Admit despite an error (needs a reason)."
        ),
    },
    required=("secret",),
)
ScanAnswer = Out(
    "ScanAnswer",
    {
        "result": Str(enum=CHECKIN_RESULTS),
        "reason": Str(enum=CHECKIN_REASONS, null=True),
        "kind": Str(),
        "colour": Str(enum=("green", "amber", "red")),
        "message": Str(),
        "needs_attention": Array(Str()),
        "replayed": Bool(),
        "checkin": Out(
            "ScanCheckin",
            {"id": Int(), "at": DateTime(), "gate": Str(), "forced": Bool(), "list_id": Int()},
            null=True,
        ),
        "previous": Out("ScanPrevious", {"at": DateTime(null=True), "gate": Str()}, null=True),
        "registrant": Out(
            "ScanRegistrant",
            {
                "id": Int(),
                "name": Str(),
                "email": Str(),
                "product": Str(),
                "order_code": Str(),
                "order_id": Int(),
                "order_status": Str(),
                "order_total": Int(description="In minor units of order_currency."),
                "order_currency": Str(null=True, description="None for an order without a price."),
                "order_total_text": Str(description="The total in words, in the request's language."),
                "checked_in_at": DateTime(null=True),
                "answers": Array(Out("ScanAnswerLine", {"label": Str(), "value": AnyValue()})),
            },
            null=True,
        ),
    },
)
UndoAnswer = Out("UndoAnswer", {"id": Int(), "undone_at": DateTime()})
Stats = Out(
    "CheckinStats",
    {
        "list": Out("CheckinStatsList", {"id": Int(), "name": Str()}),
        "expected": Int(),
        "checked_in": Int(),
        "inside": Int(null=True, description="Only for lists that take exits."),
        "gates": Array(Out("GateCount", {"gate": Str(), "entries": Int()})),
    },
)
CheckinListOut = Out(
    "CheckinList",
    {
        "id": Int(),
        "name": Str(),
        "is_default": Bool(),
        "all_products": Bool(),
        "product_ids": Array(Int()),
        "starts_at": DateTime(null=True),
        "ends_at": DateTime(null=True),
        "multi_entry": Bool(),
        "allow_exit": Bool(),
    },
)


def _actor() -> User | None:
    """The signed-in user for session calls; None (the organization) for API keys."""
    return current_user._get_current_object() if g.api_key is None else None


def _event(event_id: int) -> Event:
    """The caller's organization's event, with its default list as `default_list` (None until the
    first scan creates it): one prepared statement, as the door asks on every scan."""
    event = queries.EVENT_IN_ORG.first(id=event_id, org=g.api_org_id)
    if event is None:
        raise Event.DoesNotExist
    return event


def _list(event: Event, list_id: int | None) -> CheckinList:
    if list_id is None:
        return event.default_list or lists.default_list(event)
    return CheckinList.get((CheckinList.id == list_id) & (CheckinList.event == event.id))


@operation(
    "POST",
    "/events/<int:event_id>/checkins",
    tag=TAG,
    scope="checkins",
    session_role="door",
    summary="Redeem a ticket (scan)",
    body=ScanRequest,
    response=ScanAnswer,
    description="The same service and answers as the door scanner. Every scan is answered 200 with `result` "
    "ok or error and a `reason` from the fixed vocabulary; 4xx means the request itself was wrong.",
)
def create_checkin(event_id, body):
    event = service.event_for_scan(event_id, g.api_org_id, body["secret"])  # the holder rides along
    if event is None:
        raise Event.DoesNotExist
    try:
        answer = service.redeem(
            event,
            body["secret"],
            checkin_list=_list(event, body.get("list")),
            gate=body.get("gate") or "",
            user=_actor(),
            nonce=body.get("nonce"),
            kind=body.get("kind", "entry"),
            force_reason=body.get("force_reason"),
        )
    except service.NotAllowed as exc:
        raise ApiError(403, "forbidden", str(exc)) from None
    except service.CheckinError as exc:
        raise invalid(str(exc)) from None
    return door.answer_payload(answer)


@operation(
    "POST",
    "/events/<int:event_id>/checkins/<int:checkin_id>/undo",
    tag=TAG,
    scope="checkins",
    session_role="door",
    summary="Undo a check-in",
    response=UndoAnswer,
)
def undo_checkin(event_id, checkin_id):
    """Door staff may undo their own check-ins; supervisors and API keys any."""
    checkin = Checkin.get((Checkin.id == checkin_id) & (Checkin.event == _event(event_id).id))
    try:
        return service.undo(checkin, user=_actor())
    except service.NotAllowed as exc:
        raise ApiError(403, "forbidden", str(exc)) from None
    except service.CheckinError as exc:
        raise ApiError(409, "conflict", str(exc)) from None


@operation(
    "GET",
    "/events/<int:event_id>/checkins/stats",
    tag=TAG,
    scope="checkins",
    session_role="door",
    summary="Live numbers of a check-in list, per gate",
    response=Stats,
    query={"list": Int(minimum=1, maximum=MAX_ID, description="Check-in list id (default list when absent).")},
)
def checkin_stats(event_id, query):
    event = _event(event_id)
    return service.stats(event, _list(event, query.get("list")))


@operation(
    "GET",
    "/events/<int:event_id>/checkin-lists",
    tag=TAG,
    scope="checkins",
    session_role="door",
    summary="The event's check-in lists",
    response=Out("CheckinLists", {"items": Array(CheckinListOut)}),
)
def checkin_lists(event_id):
    return {"items": lists.lists_for(_event(event_id))}


CheckinOut = Out(
    "Checkin",
    {
        "id": Int(),
        "event_id": Int(source=lambda c: c.event_id),
        "list_id": Int(source=lambda c: c.checkin_list_id),
        "registrant_id": Int(null=True, source=lambda c: c.registrant_id),
        "kind": Str(enum=("entry", "exit")),
        "result": Str(enum=CHECKIN_RESULTS),
        "reason": Str(enum=CHECKIN_REASONS, null=True),
        "gate": Str(),
        "forced": Bool(),
        "force_reason": Str(null=True),
        "undone_at": DateTime(null=True),
        "at": DateTime(source="created_at"),
    },
)


@operation(
    "GET",
    "/events/<int:event_id>/checkins",
    tag=TAG,
    scope="checkins",
    summary="The log of scans",
    page=CheckinOut,
    query={
        "list": ID,
        "registrant_id": ID,
        "result": Str(enum=CHECKIN_RESULTS),
        "reason": Str(enum=CHECKIN_REASONS),
        "gate": Str(max_length=64),
        "since": DateTime(),
        "until": DateTime(),
    },
)
def list_checkins(event_id, query):
    """Every attempt, failed ones too, newest first."""
    event = get_event(event_id)
    select = Checkin.for_org(g.api_org_id).where(Checkin.event == event.id)
    filters = {
        "list": Checkin.checkin_list,
        "registrant_id": Checkin.registrant,
        "result": Checkin.result,
        "reason": Checkin.reason,
        "gate": Checkin.gate,
    }
    for name, column in filters.items():
        if name in query:
            select = select.where(column == query[name])
    if "since" in query:
        select = select.where(Checkin.created_at >= query["since"])
    if "until" in query:
        select = select.where(Checkin.created_at < query["until"])
    return select
