"""Segments: create, change and delete them (with the audit trail), the one-click segments of an
event, and the daily count each segment keeps."""

from __future__ import annotations

import datetime as dt
import logging

import peewee as pw

from webapp import signals
from webapp.accounts import audit
from webapp.accounts.models import User
from webapp.db import db, utcnow
from webapp.events.models import Event
from webapp.i18n import _, verbatim
from webapp.segments import query
from webapp.segments.models import Segment, SegmentCount
from webapp.segments.tree import MAX_EXPANDED, TreeError, expanded_size, segment_refs, validate

log = logging.getLogger("rollcall.segments")

EVENT_STATES = ("registered", "attended", "no_show", "pending_payment")
NAME_LENGTH = 120


class SegmentError(ValueError):
    """A segment that cannot be saved as given; `field` names the input at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _clean_name(org_id: int, name, segment: Segment | None = None) -> str:
    cleaned = " ".join(str(name or "").split())
    if not cleaned:
        raise SegmentError(_("Give the segment a name."), "name")
    if len(cleaned) > NAME_LENGTH:
        raise SegmentError(_("At most %(n)s characters.", n=NAME_LENGTH), "name")
    taken = Segment.for_org(org_id).where(pw.fn.LOWER(Segment.name) == cleaned.lower())
    if segment is not None:
        taken = taken.where(Segment.id != segment.id)
    if taken.exists():
        raise SegmentError(_("Another segment has this name."), "name")
    return cleaned


def create_segment(
    org_id: int,
    *,
    name: str,
    tree: dict,
    description: str = "",
    actor: User | None = None,
    actor_label: str | None = None,
) -> Segment:
    """A new segment; TreeError for a tree that cannot be used, SegmentError for a bad name."""
    with db.atomic():
        cleaned = _clean_name(org_id, name)
        normalized = validate(org_id, tree)
        segment = Segment.create(
            organization=org_id,
            name=cleaned,
            description=(description or "").strip(),
            tree=normalized,
            created_by=actor,
        )
        audit.record(org_id, "segment.create", user=actor, actor=actor_label, target=segment, summary=verbatim(cleaned))
    return segment


def update_segment(
    segment: Segment,
    *,
    name: str | None = None,
    description: str | None = None,
    tree: dict | None = None,
    actor: User | None = None,
    actor_label: str | None = None,
) -> dict:
    """Change what is given; returns the changes ({field: [old, new]}, trees summarized)."""
    org_id = segment.organization_id
    with db.atomic():
        values = {}
        if name is not None:
            values["name"] = _clean_name(org_id, name, segment)
        if description is not None:
            values["description"] = description.strip()
        if tree is not None:
            values["tree"] = validate(org_id, tree, segment_id=segment.id)
        changes = audit.diff(segment, values)
        if changes:
            if "tree" in changes:
                changes["tree"] = ["(previous conditions)", "(new conditions)"]
            segment.updated_at = utcnow()
            segment.save()
            if "tree" in changes:
                _check_users_size(segment)
            audit.record(
                org_id,
                "segment.update",
                user=actor,
                actor=actor_label,
                target=segment,
                summary=verbatim(segment.name),
                changes=changes,
            )
    return changes


def _check_users_size(segment: Segment) -> None:
    """A bigger tree makes the segments that name it bigger too: each must stay compilable."""
    sizes: dict[int, int] = {}
    for other in Segment.for_org(segment.organization_id).where(Segment.id != segment.id):
        if segment_refs(other.tree) and expanded_size(segment.organization_id, other.tree, sizes) > MAX_EXPANDED:
            raise TreeError(
                "$",
                _(
                    "Segment “%(name)s” names this one and would grow past %(n)d conditions.",
                    name=other.name,
                    n=MAX_EXPANDED,
                ),
            )


def segments_using(segment: Segment) -> list[Segment]:
    """The organization's other segments whose conditions name this one."""
    others = Segment.for_org(segment.organization_id).where(Segment.id != segment.id)
    return [other for other in others if segment.id in segment_refs(other.tree)]


def delete_segment(segment: Segment, *, actor: User | None = None, actor_label: str | None = None) -> None:
    """Delete it, unless another segment's conditions name it (that one would change silently)
    or a domain above objects (a workflow starts or checks on it)."""
    with db.atomic():
        users = segments_using(segment)
        if users:
            names = ", ".join(s.name for s in users)
            raise SegmentError(_("These segments use it in their conditions: %(names)s.", names=names), "segment")
        for reason in signals.objections(signals.segment_deleting, segment):
            raise SegmentError(reason, "segment")
        audit.record(
            segment.organization_id,
            "segment.delete",
            user=actor,
            actor=actor_label,
            target=segment,
            summary=verbatim(segment.name),
        )
        segment.delete_instance()


def event_segment_tree(event: Event, state: str) -> dict:
    """The tree of an event's one-click segment: its registered, attended, no-show or
    pending-payment contacts."""
    if state not in EVENT_STATES:
        raise ValueError(f"state must be one of {EVENT_STATES}")
    condition = {
        "registered": {"dimension": "registered", "operator": "exists"},
        "attended": {"dimension": "attended", "operator": "exists"},
        "no_show": {"dimension": "no_show", "operator": "exists"},
        "pending_payment": {"dimension": "order_status", "operator": "any_of", "value": ["pending"]},
    }[state]
    node = {"type": "condition", "negate": False, "value": None, "event_id": event.id, **condition}
    return validate(event.organization_id, {"type": "group", "join": "and", "negate": False, "children": [node]})


def record_daily_counts(day: dt.date | None = None) -> int:
    """Count every segment once for `day` (today, UTC): the count over time. Run again the same
    day, it updates that day's count. Returns how many segments were counted."""
    day = day or utcnow().date()
    counted = 0
    for segment in Segment.select().order_by(Segment.id).iterator():
        try:
            number = query.count(segment.organization_id, segment.tree)
        except TreeError as exc:
            log.warning("segment %s cannot be counted: %s", segment.id, exc)
            continue
        (
            SegmentCount.insert(segment=segment.id, day=day, count=number)
            .on_conflict(conflict_target=[SegmentCount.segment, SegmentCount.day], update={SegmentCount.count: number})
            .execute()
        )
        counted += 1
    return counted


def counts_over_time(segment: Segment, days: int = 90) -> list[SegmentCount]:
    since = utcnow().date() - dt.timedelta(days=days)
    return list(
        SegmentCount.select()
        .where((SegmentCount.segment == segment.id) & (SegmentCount.day >= since))
        .order_by(SegmentCount.day)
    )
