"""The offline door: a check-in list's tickets for a door device (keyed hashes of the secrets, never
the secrets), the changes since a cursor, and the upload of scans made offline, replayed through
the same redeem as any scan (webapp/checkin/offline.py, docs/offline-door.md)."""

from __future__ import annotations

from flask import g

from webapp.api.framework import ApiError, invalid, operation
from webapp.api.schema import Array, Bool, DateTime, Int, Obj, Out, Str
from webapp.api.v1.checkins import CheckinListOut, _actor
from webapp.checkin import offline, service
from webapp.checkin.models import CHECKIN_REASONS, CHECKIN_RESULTS, CheckinList
from webapp.events.models import Event

TAG = "Offline door"

DoorTicket = Out(
    "DoorTicket",
    {
        "id": Int(),
        "hash": Str(
            description="HMAC-SHA256 of the normalized secret under the list's key, first 16 bytes, base64url."
        ),
        "name": Str(),
        "product_id": Int(),
        "state": Str(enum=("valid", "unpaid", "canceled", "unapproved")),
        "blocked": Bool(),
        "entries": Int(description="Entries on this list that stand."),
        "inside": Bool(),
        "last_entry_at": DateTime(null=True),
        "last_gate": Str(),
    },
)
DoorList = Out(
    "DoorList",
    {
        "list": CheckinListOut,
        "event_id": Int(),
        "key": Str(description="The list's HMAC key (base64url): door devices only; never stored beyond the device."),
        "signing_key": Str(
            null=True, description="The event's Ed25519 public key (raw, base64url) when it signs tickets."
        ),
        "products": Array(Out("DoorProduct", {"id": Int(), "name": Str(), "admits_entry": Bool()})),
        "tickets": Array(DoorTicket),
        "cursor": DateTime(description="Ask for changes since this."),
    },
)
DoorChanges = Out(
    "DoorChanges",
    {"list": CheckinListOut, "tickets": Array(DoorTicket), "cursor": DateTime(description="The next cursor.")},
)
OfflineScan = Obj(
    "OfflineScan",
    {
        "secret": Str(min_length=1, max_length=500, description="What was scanned."),
        "nonce": Str(min_length=1, max_length=service.NONCE_MAX, description="The device's nonce for this scan."),
        "device_time": DateTime(description="When the device scanned, by its clock."),
        "verdict": Str(enum=offline.VERDICTS, description="What the device answered offline."),
        "gate": Str(null=True, max_length=service.GATE_MAX),
    },
    required=("secret", "nonce", "device_time", "verdict"),
)
OfflineUpload = Obj(
    "OfflineUpload",
    {
        "device": Str(min_length=1, max_length=offline.DEVICE_MAX, description="The device's id (random, its own)."),
        "scans": Array(OfflineScan, max_items=offline.BATCH_MAX, description="In the order they were made."),
    },
    required=("device", "scans"),
)
ReplayAnswer = Out(
    "OfflineReplay",
    {
        "items": Array(
            Out(
                "OfflineReplayItem",
                {
                    "nonce": Str(),
                    "result": Str(enum=CHECKIN_RESULTS),
                    "reason": Str(enum=CHECKIN_REASONS, null=True),
                    "replayed": Bool(description="This nonce was uploaded before: its first answer."),
                    "checkin_id": Int(null=True),
                    "review_id": Int(null=True, description="A refused offline admission, in the review list."),
                },
            )
        )
    },
)


def _event_and_list(event_id: int, list_id: int) -> tuple[Event, CheckinList]:
    event = Event.get((Event.id == event_id) & (Event.organization == g.api_org_id))
    return event, CheckinList.get((CheckinList.id == list_id) & (CheckinList.event == event.id))


@operation(
    "GET",
    "/events/<int:event_id>/checkin-lists/<int:list_id>/offline",
    tag=TAG,
    scope="checkins",
    session_role="door",
    summary="A check-in list for a door device to answer scans offline",
    response=DoorList,
    description="The list's rules and every ticket of the event as a keyed hash of its secret, the holder's name, "
    "product and state; with the key to hash scans with. Keep it current with the changes route.",
)
def door_list(event_id, list_id):
    return offline.snapshot(*_event_and_list(event_id, list_id))


@operation(
    "GET",
    "/events/<int:event_id>/checkin-lists/<int:list_id>/offline/changes",
    tag=TAG,
    scope="checkins",
    session_role="door",
    summary="Tickets new or changed since a cursor (sales, cancellations, admissions)",
    response=DoorChanges,
    query={"since": DateTime(description="The cursor of the last answer.")},
)
def door_list_changes(event_id, list_id, query):
    if "since" not in query:
        raise invalid("since is required.", since="Required.")
    return offline.changes(*_event_and_list(event_id, list_id), query["since"])


@operation(
    "POST",
    "/events/<int:event_id>/checkin-lists/<int:list_id>/offline/scans",
    tag=TAG,
    scope="checkins",
    session_role="door",
    summary="Upload the scans a device made offline",
    body=OfflineUpload,
    response=ReplayAnswer,
    description="Each scan is redeemed in order through the same rules as a live scan, with its nonce: uploading "
    "the same scans again changes nothing. A scan the device admitted that the server refuses is recorded in the "
    "event's review list.",
)
def upload_offline_scans(event_id, list_id, body):
    event, checkin_list = _event_and_list(event_id, list_id)
    try:
        replayed = offline.replay(event, checkin_list, body["scans"], device=body["device"], user=_actor())
    except service.NotAllowed as exc:
        raise ApiError(403, "forbidden", str(exc)) from None
    except (service.CheckinError, offline.OfflineError) as exc:
        raise invalid(str(exc)) from None
    items = []
    for scan, done in zip(body["scans"], replayed, strict=True):
        answer = done["answer"]
        items.append(
            {
                "nonce": scan["nonce"], "result": answer.result, "reason": answer.reason, "replayed": answer.replayed,
                "checkin_id": answer.checkin.id if answer.checkin else None, "review_id": done["review_id"],
            }
        )  # fmt: skip
    return {"items": items}
