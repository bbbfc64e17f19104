"""JSON check-in endpoints: the scanner page and integrations redeem through the same service.

POST /api/v1/events/<id>/checkins           {"secret", "list"?, "gate"?, "nonce"?, "kind"?, "force_reason"?}
POST /api/v1/events/<id>/checkins/<cid>/undo
GET  /api/v1/events/<id>/checkins/stats?list=<id>
GET  /api/v1/events/<id>/checkin-lists

A scan is answered 200 with the answer in the body whatever the verdict (`result` "ok" or "error"
with a `reason` of the fixed vocabulary): the attempt was made and logged. 4xx means the request
itself was wrong (unknown event or list, bad fields, a role that may not force).
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from flask_login import current_user

from webapp.api.auth import api_auth, api_error
from webapp.api.schema import Int, Invalid, Malformed, load_json
from webapp.checkin import door, lists, queries, service
from webapp.checkin.models import Checkin, CheckinList
from webapp.events.models import Event
from webapp.guards import MAX_ROW_ID

bp = Blueprint("checkin_api", __name__, url_prefix="/api/v1")

FIELDS = {"secret", "list", "gate", "nonce", "kind", "force_reason"}
LIST_ID = Int(minimum=1, maximum=MAX_ROW_ID)


def _actor():
    """The signed-in user for session calls; None (the organization) for API keys."""
    return current_user._get_current_object() if g.api_key is None else None


def _event(event_id: int) -> Event:
    """The caller's organization's event, with its default list as `default_list` (None until
    the first scan creates it)."""
    event = queries.EVENT_IN_ORG.first(id=event_id, org=g.api_org_id)
    if event is None:
        raise Event.DoesNotExist
    return event


def _list(event: Event, value) -> CheckinList:
    if value in (None, ""):
        return event.default_list or lists.default_list(event)
    try:
        list_id = LIST_ID.load(int(value) if isinstance(value, str) else value, "list")
    except (Invalid, TypeError, ValueError):
        raise _Invalid({"list": "A check-in list id (a whole number)."}) from None
    return CheckinList.get((CheckinList.id == list_id) & (CheckinList.event == event.id))


class _Invalid(Exception):
    def __init__(self, fields: dict):
        self.fields = fields


def _scan_request() -> dict:
    try:
        body = load_json(request.get_data(cache=True)) if request.is_json else None
    except Malformed:
        body = None
    except Invalid as exc:
        raise _Invalid(exc.fields) from None
    if not isinstance(body, dict):
        raise _Invalid({"body": "Send a JSON object."})
    problems = {name: "Unknown field." for name in body if name not in FIELDS}
    if not isinstance(body.get("secret"), str) or not body["secret"].strip():
        problems["secret"] = "The scanned ticket secret (a string)."
    for name in ("gate", "nonce", "force_reason"):
        if body.get(name) is not None and not isinstance(body[name], str):
            problems[name] = "A string."
    if body.get("kind", "entry") not in service.KINDS:
        problems["kind"] = "entry or exit."
    if problems:
        raise _Invalid(problems)
    return body


@bp.post("/events/<int:event_id>/checkins")
@api_auth(write=True, session_role="door", scope="checkins")
def create_checkin(event_id: int):
    event = _event(event_id)
    try:
        body = _scan_request()
        checkin_list = _list(event, body.get("list"))
    except _Invalid as exc:
        return api_error(422, "invalid", "The scan request is not valid.", exc.fields)
    try:
        answer = service.redeem(
            event,
            body["secret"],
            checkin_list=checkin_list,
            gate=body.get("gate") or "",
            user=_actor(),
            nonce=body.get("nonce"),
            kind=body.get("kind", "entry"),
            force_reason=body.get("force_reason"),
        )
    except service.NotAllowed as exc:
        return api_error(403, "forbidden", str(exc))
    except service.CheckinError as exc:
        return api_error(422, "invalid", str(exc))
    return jsonify(door.answer_payload(answer))


@bp.post("/events/<int:event_id>/checkins/<int:checkin_id>/undo")
@api_auth(write=True, session_role="door", scope="checkins")
def undo_checkin(event_id: int, checkin_id: int):
    event = _event(event_id)
    checkin = Checkin.get((Checkin.id == checkin_id) & (Checkin.event == event.id))
    try:
        service.undo(checkin, user=_actor())
    except service.NotAllowed as exc:
        return api_error(403, "forbidden", str(exc))
    except service.CheckinError as exc:
        return api_error(409, "conflict", str(exc))
    return jsonify({"id": checkin.id, "undone_at": checkin.undone_at.isoformat() + "Z"})


@bp.get("/events/<int:event_id>/checkins/stats")
@api_auth(session_role="door", scope="checkins")
def checkin_stats(event_id: int):
    event = _event(event_id)
    try:
        checkin_list = _list(event, request.args.get("list"))
    except _Invalid as exc:
        return api_error(422, "invalid", "The list is not valid.", exc.fields)
    return jsonify(service.stats(event, checkin_list))


@bp.get("/events/<int:event_id>/checkin-lists")
@api_auth(session_role="door", scope="checkins")
def checkin_lists(event_id: int):
    event = _event(event_id)
    return jsonify({"items": [list_payload(cl) for cl in lists.lists_for(event)]})


def list_payload(checkin_list: CheckinList) -> dict:
    def at(value):
        return value.isoformat() + "Z" if value else None

    return {
        "id": checkin_list.id,
        "name": checkin_list.name,
        "is_default": checkin_list.is_default,
        "all_products": checkin_list.all_products,
        "product_ids": checkin_list.product_ids,
        "starts_at": at(checkin_list.starts_at),
        "ends_at": at(checkin_list.ends_at),
        "multi_entry": checkin_list.multi_entry,
        "allow_exit": checkin_list.allow_exit,
    }
