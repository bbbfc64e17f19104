"""The values an organization can pick for each dimension (the editor's pickers):
`value_choices(org_id, dimension.choices)` gives [{"value": ..., "label": ...}]."""

from __future__ import annotations

from webapp.catalog.models import Coupon, Product, Question
from webapp.checkin.models import Checkin, CheckinList
from webapp.contacts.models import Contact, Label
from webapp.events.models import Event
from webapp.mail.models import Outbox
from webapp.segments.models import Segment
from webapp.segments.tree import ANSWER_TYPES, CUSTOM_KEY_RE, FIXED_CHOICES

LIMIT = 500  # choices listed per picker
CUSTOM_SAMPLE = 1000  # recent contacts whose custom fields are read for their keys and types
BASE_SEND_KEYS = ("ticket", "payment", "checkin")


def value_choices(org_id: int, choices: str | None) -> list[dict]:
    if choices is None:
        return []
    if choices in FIXED_CHOICES:
        return [{"value": v, "label": v.replace("_", " ")} for v in FIXED_CHOICES[choices]]
    return _LISTERS[choices](org_id)


def _events(org_id: int) -> list[dict]:
    rows = Event.for_org(org_id).order_by(Event.starts_at.desc()).limit(LIMIT)
    return [{"value": e.id, "label": f"{e.name} ({e.starts_at:%Y-%m-%d})", "tags": list(e.tags or [])} for e in rows]


def _event_tags(org_id: int) -> list[dict]:
    """The tags of the organization's events (the participation dimensions' `event_tag`)."""
    tags: set[str] = set()
    for (value,) in Event.for_org(org_id).select(Event.tags).tuples():
        tags.update(str(t) for t in value or [])
    return [{"value": tag, "label": tag} for tag in sorted(tags, key=str.lower)]


def _labels(org_id: int) -> list[dict]:
    return [{"value": label.id, "label": label.name} for label in Label.for_org(org_id).order_by(Label.name)]


def _per_event(model, org_id: int, text) -> list[dict]:
    rows = (
        model.select(model, Event.name)
        .join(Event, on=model.event == Event.id)
        .where(model.organization == org_id)
        .order_by(Event.starts_at.desc(), model.id)
        .limit(LIMIT)
    )
    return [{"value": row.id, "label": f"{row.event.name}: {text(row)}", "event_id": row.event_id} for row in rows]


def _products(org_id: int) -> list[dict]:
    return _per_event(Product, org_id, lambda p: p.name)


def _coupons(org_id: int) -> list[dict]:
    return _per_event(Coupon, org_id, lambda c: c.code)


def _checkin_lists(org_id: int) -> list[dict]:
    return _per_event(CheckinList, org_id, lambda c: c.name)


def _questions(org_id: int) -> list[dict]:
    return _per_event(Question, org_id, lambda q: q.label)


def answer_types(org_id: int) -> dict[int, str]:
    """{question id: what its answers are compared as: text, boolean or number}."""
    return {
        qid: ANSWER_TYPES[kind] for qid, kind in Question.for_org(org_id).select(Question.id, Question.kind).tuples()
    }


def _gates(org_id: int) -> list[dict]:
    rows = (
        Checkin.select(Checkin.gate)
        .where((Checkin.organization == org_id) & (Checkin.gate != ""))
        .distinct()
        .order_by(Checkin.gate)
        .limit(LIMIT)
        .tuples()
    )
    return [{"value": gate, "label": gate} for (gate,) in rows]


def _segments(org_id: int) -> list[dict]:
    return [{"value": s.id, "label": s.name} for s in Segment.for_org(org_id).order_by(Segment.name)]


def _send_keys(org_id: int) -> list[dict]:
    rows = (
        Outbox.select(Outbox.send_key)
        .where((Outbox.organization == org_id) & Outbox.send_key.is_null(False))
        .distinct()
        .limit(LIMIT)
        .tuples()
    )
    keys = sorted(set(BASE_SEND_KEYS) | {key for (key,) in rows})
    return [{"value": key, "label": key} for key in keys]


def _custom_fields(org_id: int) -> list[dict]:
    """Keys of custom fields with their type: the fields event questions fill in (typed by the
    question), then those found on recent contacts (typed by their values)."""
    types: dict[str, str] = {}
    questions = Question.for_org(org_id).where(Question.contact_field.startswith("custom:"))
    for question in questions:
        key = question.contact_field.split(":", 1)[1]
        types.setdefault(key, {"number": "number", "date": "date", "checkbox": "boolean"}.get(question.kind, "text"))
    recent = Contact.for_org(org_id).select(Contact.custom).order_by(Contact.id.desc()).limit(CUSTOM_SAMPLE)
    for (custom,) in recent.tuples():
        for key, value in (custom or {}).items():
            types.setdefault(key, _type_of(value))
    return [
        {"value": key, "label": key.replace("_", " "), "field_type": kind}
        for key, kind in sorted(types.items())
        if CUSTOM_KEY_RE.match(key)
    ][:LIMIT]


def _type_of(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[:4].isdigit():
        return "date"
    return "text"


_LISTERS = {
    "events": _events,
    "event_tags": _event_tags,
    "labels": _labels,
    "products": _products,
    "coupons": _coupons,
    "checkin_lists": _checkin_lists,
    "questions": _questions,
    "gates": _gates,
    "segments": _segments,
    "send_keys": _send_keys,
    "custom_fields": _custom_fields,
}
