"""Check-ins. Redeem, undo, stats and lists are served by the check-in blueprint
(webapp/checkin/views_api.py) and described here; the log of scans is served here."""

from __future__ import annotations

from flask import g

from webapp.api.framework import describe, operation
from webapp.api.schema import AnyValue, Array, Bool, DateTime, Int, Obj, Out, Str
from webapp.api.v1.events import get_event
from webapp.checkin.models import CHECKIN_REASONS, CHECKIN_RESULTS, Checkin

TAG = "Check-in"
ID = Int(minimum=1, maximum=2**31 - 1)

ScanRequest = Obj(
    "ScanRequest",
    {
        "secret": Str(min_length=1, max_length=500, description="The ticket secret (the QR content)."),
        "list": Int(null=True, description="Check-in list id (default: the event's default list)."),
        "gate": Str(null=True, max_length=500),
        "nonce": Str(
            null=True, max_length=500, description="Sent again with the same nonce, the first answer is replayed."
        ),
        "kind": Str(enum=("entry", "exit")),
        "force_reason": Str(null=True, max_length=2000, description="Admit despite an error (needs a reason)."),
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

describe(
    "POST",
    "/events/<int:event_id>/checkins",
    endpoint="checkin_api.create_checkin",
    tag=TAG,
    summary="Redeem a ticket (scan)",
    body=ScanRequest,
    response=ScanAnswer,
    errors=(403, 404, 422),
    description="The same service and answers as the door scanner. Every scan is answered 200 with `result` "
    "ok or error and a `reason` from the fixed vocabulary; 4xx means the request itself was wrong.",
)
describe(
    "POST",
    "/events/<int:event_id>/checkins/<int:checkin_id>/undo",
    endpoint="checkin_api.undo_checkin",
    tag=TAG,
    summary="Undo a check-in",
    response=UndoAnswer,
    errors=(403, 404, 409),
)
describe(
    "GET",
    "/events/<int:event_id>/checkins/stats",
    endpoint="checkin_api.checkin_stats",
    tag=TAG,
    summary="Live numbers of a check-in list, per gate",
    response=Stats,
    errors=(404, 422),
    query={"list": Str(pattern="^[0-9]+$", description="Check-in list id (default list when absent).")},
)
describe(
    "GET",
    "/events/<int:event_id>/checkin-lists",
    endpoint="checkin_api.checkin_lists",
    tag=TAG,
    summary="The event's check-in lists",
    response=Out("CheckinLists", {"items": Array(CheckinListOut)}),
    errors=(404,),
)

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
