"""What a workflow is made of, checked: its trigger and its steps, as JSON-shaped dicts.

Triggers (one per workflow):
    {"kind": "segment_entered", "segment_id": 3}
    {"kind": "label_added", "label_id": 7}            {"kind": "label_removed", "label_id": 7}
    {"kind": "stage_changed", "to": "customer"}       ("to": "" for any move)
    {"kind": "tracked_event", "type": "purchase", "action": "", "status": "paid",
     "properties": {"plan": "pro"}}                   (action and status are the event's
                                                       properties of those names; "" for any)
Steps, taken in order:
    {"kind": "wait", "amount": 2, "unit": "days"}     (minutes, hours or days)
    {"kind": "condition", "check": "in_segment", "segment_id": 3}
    {"kind": "condition", "check": "has_label", "label_id": 7}   (not met: the run exits)
    {"kind": "send_email", "template_id": 12}         (an email template of the organization)
    {"kind": "add_label", "label_id": 7}              {"kind": "remove_label", "label_id": 7}
    {"kind": "set_stage", "stage": "engaged"}
    {"kind": "webhook", "name": "trial-ended"}        (a signed workflow.step message to the
                                                       endpoints subscribed to it)

`clean_trigger` and `clean_steps` return the normalized form or raise WorkflowInvalid, whose
`errors` map a field ("trigger.label_id", "steps.2.amount") to what is wrong with it. Every id must
name a row of the workflow's own organization.
"""

from __future__ import annotations

import datetime as dt
import json

from webapp.contacts.ingest import property_text
from webapp.contacts.ingest_models import EVENT_TYPES
from webapp.contacts.models import FUNNEL_STAGES, Label
from webapp.i18n import _
from webapp.mail.models import EmailTemplate
from webapp.segments.models import Segment

TRIGGER_KINDS = ("segment_entered", "label_added", "label_removed", "stage_changed", "tracked_event")
STEP_KINDS = ("wait", "condition", "send_email", "add_label", "remove_label", "set_stage", "webhook")
ACTION_KINDS = ("send_email", "add_label", "remove_label", "set_stage", "webhook")
CONDITION_CHECKS = ("in_segment", "has_label")
WAIT_UNITS = {"minutes": 1, "hours": 60, "days": 24 * 60}
MAX_WAIT_MINUTES = 365 * 24 * 60
MAX_STEPS = 30
MAX_PROPERTIES = 10
MAX_TEXT = 100
MAX_JSON = 20_000  # characters of a trigger or steps given as JSON text


class WorkflowInvalid(ValueError):
    """Input a workflow cannot take; `errors` maps each field at fault to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class _Bad(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def parse_json(raw, field: str):
    """A trigger or steps given as JSON text, parsed (dicts and lists are taken as they are)."""
    if not isinstance(raw, str):
        return raw
    if len(raw) > MAX_JSON:
        raise WorkflowInvalid({field: _("At most %(n)d characters.", n=MAX_JSON)})
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise WorkflowInvalid({field: _("This is not valid JSON.")}) from None


# Pieces -------------------------------------------------------------------------------------------


def _text(value, field: str, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _Bad(field, _("Enter a text."))
    if "\x00" in value or _lone_surrogate(value):
        raise _Bad(field, _("Enter text without NUL characters or lone surrogates."))
    value = " ".join(value.split())
    if required and not value:
        raise _Bad(field, _("Enter a text."))
    if len(value) > MAX_TEXT:
        raise _Bad(field, _("At most %(n)d characters.", n=MAX_TEXT))
    return value


def _lone_surrogate(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _int(value, field: str, low: int, high: int) -> int:
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 12:
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _Bad(field, _("Enter a whole number from %(low)d to %(high)d.", low=low, high=high))
    return value


def _row_id(model, org_id: int, value, field: str, missing: str) -> int:
    pk = _int(value, field, 1, 2**31 - 1) if value not in (None, "") else None
    if pk is None or not model.select().where((model.id == pk) & (model.organization == org_id)).exists():
        raise _Bad(field, missing)
    return pk


def _segment(org_id: int, value, field: str) -> int:
    return _row_id(Segment, org_id, value, field, _("Choose one of your segments."))


def _label(org_id: int, value, field: str) -> int:
    return _row_id(Label, org_id, value, field, _("Choose one of your labels."))


def _choice(value, options, field: str, message: str) -> str:
    if value not in options:
        raise _Bad(field, message)
    return value


def _keys(node: dict, allowed: set[str], field: str) -> None:
    unknown = sorted(str(k) for k in node if k not in allowed)
    if unknown:
        raise _Bad(field, _("Unknown key %(key)s.", key=unknown[0][:40]))


# Trigger ------------------------------------------------------------------------------------------


def clean_trigger(org_id: int, raw) -> dict:
    try:
        return _trigger(org_id, parse_json(raw, "trigger"))
    except _Bad as bad:
        raise WorkflowInvalid({bad.field: bad.message}) from None


def _trigger(org_id: int, node) -> dict:
    if not isinstance(node, dict):
        raise _Bad("trigger", _("Choose what starts the workflow."))
    kind = _choice(node.get("kind"), TRIGGER_KINDS, "trigger.kind", _("Choose what starts the workflow."))
    if kind == "segment_entered":
        _keys(node, {"kind", "segment_id"}, "trigger")
        return {"kind": kind, "segment_id": _segment(org_id, node.get("segment_id"), "trigger.segment_id")}
    if kind in ("label_added", "label_removed"):
        _keys(node, {"kind", "label_id"}, "trigger")
        return {"kind": kind, "label_id": _label(org_id, node.get("label_id"), "trigger.label_id")}
    if kind == "stage_changed":
        _keys(node, {"kind", "to"}, "trigger")
        to = node.get("to") or ""
        _choice(to, ("", *FUNNEL_STAGES), "trigger.to", _("Choose a funnel stage."))
        return {"kind": kind, "to": to}
    _keys(node, {"kind", "type", "action", "status", "properties"}, "trigger")
    event_type = _choice(node.get("type"), EVENT_TYPES, "trigger.type", _("Choose an event type."))
    return {
        "kind": kind,
        "type": event_type,
        "action": _text(node.get("action"), "trigger.action"),
        "status": _text(node.get("status"), "trigger.status"),
        "properties": _properties(node.get("properties")),
    }


def _properties(value) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise _Bad("trigger.properties", _("Give the properties as names and values."))
    if len(value) > MAX_PROPERTIES:
        raise _Bad("trigger.properties", _("At most %(n)d properties.", n=MAX_PROPERTIES))
    out = {}
    for name, wanted in value.items():
        name = _text(name, "trigger.properties", required=True)
        if isinstance(wanted, float) and (wanted != wanted or abs(wanted) == float("inf")):
            raise _Bad("trigger.properties", _("Enter a text."))
        if not isinstance(wanted, str | int | float | bool):
            raise _Bad("trigger.properties", _("Enter a text."))
        out[name] = _text(wanted if isinstance(wanted, str) else property_text(wanted), "trigger.properties")
    return out


# Steps --------------------------------------------------------------------------------------------


def clean_steps(org_id: int, raw) -> list[dict]:
    try:
        steps = parse_json(raw, "steps")
        if not isinstance(steps, list):
            raise _Bad("steps", _("Give the steps as a list."))
        if len(steps) > MAX_STEPS:
            raise _Bad("steps", _("At most %(n)d steps.", n=MAX_STEPS))
        return [_step(org_id, step, f"steps.{i}") for i, step in enumerate(steps)]
    except _Bad as bad:
        raise WorkflowInvalid({bad.field: bad.message}) from None


def _step(org_id: int, node, field: str) -> dict:
    if not isinstance(node, dict):
        raise _Bad(field, _("Choose what this step does."))
    kind = _choice(node.get("kind"), STEP_KINDS, f"{field}.kind", _("Choose what this step does."))
    if kind == "wait":
        _keys(node, {"kind", "amount", "unit"}, field)
        unit = _choice(node.get("unit"), WAIT_UNITS, f"{field}.unit", _("Choose minutes, hours or days."))
        high = MAX_WAIT_MINUTES // WAIT_UNITS[unit]
        return {"kind": kind, "amount": _int(node.get("amount"), f"{field}.amount", 1, high), "unit": unit}
    if kind == "condition":
        check = _choice(node.get("check"), CONDITION_CHECKS, f"{field}.check", _("Choose what to check."))
        if check == "in_segment":
            _keys(node, {"kind", "check", "segment_id"}, field)
            return {
                "kind": kind,
                "check": check,
                "segment_id": _segment(org_id, node.get("segment_id"), f"{field}.segment_id"),
            }
        _keys(node, {"kind", "check", "label_id"}, field)
        return {"kind": kind, "check": check, "label_id": _label(org_id, node.get("label_id"), f"{field}.label_id")}
    if kind == "send_email":
        _keys(node, {"kind", "template_id"}, field)
        template_id = _row_id(
            EmailTemplate,
            org_id,
            node.get("template_id"),
            f"{field}.template_id",
            _("Choose one of your email templates."),
        )
        return {"kind": kind, "template_id": template_id}
    if kind in ("add_label", "remove_label"):
        _keys(node, {"kind", "label_id"}, field)
        return {"kind": kind, "label_id": _label(org_id, node.get("label_id"), f"{field}.label_id")}
    if kind == "set_stage":
        _keys(node, {"kind", "stage"}, field)
        return {
            "kind": kind,
            "stage": _choice(node.get("stage"), FUNNEL_STAGES, f"{field}.stage", _("Choose a funnel stage.")),
        }
    _keys(node, {"kind", "name"}, field)
    return {"kind": kind, "name": _text(node.get("name"), f"{field}.name", required=True)}


def wait_of(step: dict) -> dt.timedelta:
    return dt.timedelta(minutes=step["amount"] * WAIT_UNITS[step["unit"]])
