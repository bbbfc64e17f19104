"""The workflow editor's form: a trigger and a list of steps read from posted fields into the dicts
of webapp.workflows.definition (checked there), and the list's own operations (add a step of a
kind, remove one, move one up or down). Plain functions over a mapping of form values."""

from __future__ import annotations

from dataclasses import dataclass, field

from webapp.i18n import _
from webapp.workflows.definition import MAX_STEPS, STEP_KINDS, TRIGGER_KINDS

STEP_FIELDS = ("amount", "unit", "check", "segment_id", "label_id", "template_id", "stage", "name")
TRIGGER_FIELDS = ("segment_id", "label_id", "to", "type", "action", "status")
NEW_STEP = {
    "wait": {"kind": "wait", "amount": 1, "unit": "days"},
    "condition": {"kind": "condition", "check": "has_label", "label_id": "", "segment_id": ""},
    "send_email": {"kind": "send_email", "template_id": ""},
    "add_label": {"kind": "add_label", "label_id": ""},
    "remove_label": {"kind": "remove_label", "label_id": ""},
    "set_stage": {"kind": "set_stage", "stage": "engaged"},
    "webhook": {"kind": "webhook", "name": ""},
}


@dataclass
class Reading:
    name: str = ""
    allow_reentry: bool = False
    trigger: dict = field(default_factory=lambda: {"kind": "label_added", "label_id": ""})
    steps: list[dict] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def from_workflow(workflow) -> Reading:
    trigger = dict(workflow.trigger)
    return Reading(workflow.name, workflow.allow_reentry, trigger, [dict(s) for s in workflow.steps or []])


def read(form) -> Reading:
    """The posted editor; what cannot be read is left for the definition's checks to name."""
    reading = Reading(name=form.get("name", ""), allow_reentry=form.get("allow_reentry") in ("y", "on", "1", "true"))
    kind = form.get("trigger-kind", "")
    trigger = {"kind": kind if kind in TRIGGER_KINDS else kind[:40]}
    for name in _trigger_fields(kind):
        trigger[name] = form.get(f"trigger-{name}", "")
    if kind == "tracked_event":
        properties, error = parse_properties(form.get("trigger-properties", ""))
        trigger["properties"] = properties
        if error:
            reading.errors["trigger.properties"] = error
    reading.trigger = trigger
    count = _count(form.get("step-count", "0"))
    for i in range(count):
        kind = form.get(f"step-{i}-kind", "")
        if kind not in STEP_KINDS:
            continue
        step = {"kind": kind}
        for name in STEP_FIELDS:
            if name in NEW_STEP[kind]:
                step[name] = form.get(f"step-{i}-{name}", "")
        if kind == "condition":
            step["segment_id"] = form.get(f"step-{i}-segment_id", "")
        reading.steps.append(step)
    return reading


def steps_to_save(steps: list[dict]) -> list[dict]:
    """The steps as the definition takes them: a condition names only what its check reads."""
    saved = []
    for step in steps:
        if step.get("kind") == "condition":
            target = "segment_id" if step.get("check") == "in_segment" else "label_id"
            step = {"kind": "condition", "check": step.get("check"), target: step.get(target, "")}
        saved.append(step)
    return saved


def _count(text: str) -> int:
    return min(int(text), MAX_STEPS + 1) if text.isdigit() and len(text) < 4 else 0


def _trigger_fields(kind: str) -> tuple[str, ...]:
    return {
        "segment_entered": ("segment_id",),
        "label_added": ("label_id",),
        "label_removed": ("label_id",),
        "stage_changed": ("to",),
        "tracked_event": ("type", "action", "status"),
    }.get(kind, ())


def parse_properties(text: str) -> tuple[dict[str, str], str | None]:
    """ "plan=pro" lines as {"plan": "pro"}; the error of a line that is not name=value."""
    properties = {}
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        name, equals, value = line.partition("=")
        if not equals or not name.strip():
            return properties, _("Write one name=value per line.")
        properties[name.strip()] = value.strip()
    return properties, None


def properties_text(properties: dict) -> str:
    return "\n".join(f"{k}={v}" for k, v in (properties or {}).items())


def apply(reading: Reading, op: str) -> None:
    """add:<kind>, remove:<i>, up:<i>, down:<i>, trigger (the trigger's kind changed: its fields)."""
    action, _, arg = (op or "").partition(":")
    steps = reading.steps
    if action == "add" and arg in NEW_STEP and len(steps) < MAX_STEPS:
        steps.append(dict(NEW_STEP[arg]))
        return
    if action == "trigger":
        kind = reading.trigger.get("kind")
        reading.trigger = {"kind": kind, **dict.fromkeys(_trigger_fields(kind), "")}
        if kind == "stage_changed":
            reading.trigger["to"] = ""
        if kind == "tracked_event":
            reading.trigger["properties"] = {}
        return
    if not arg.isdigit() or len(arg) > 3 or int(arg) >= len(steps):
        return
    i = int(arg)
    if action == "remove":
        del steps[i]
    elif action == "up" and i > 0:
        steps[i - 1], steps[i] = steps[i], steps[i - 1]
    elif action == "down" and i < len(steps) - 1:
        steps[i + 1], steps[i] = steps[i], steps[i + 1]
