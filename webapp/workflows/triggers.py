"""What starts workflows: a contact change (a label added or removed, a stage move, and a quick
check of segment membership), tracked events on contact timelines, and the periodic comparison of
each segment-triggered workflow's segment with the members it recorded at its last scan (which
also finds contacts who entered through the passing of time: "registered more than 7 days ago").

Which kinds of trigger some active workflow has is cached per process for a few seconds, so that
the signals of bulk work (imports, ingestion) cost nothing while no workflow listens."""

from __future__ import annotations

import datetime as dt
import time

from webapp import work
from webapp.contacts.ingest import property_text
from webapp.contacts.ingest_models import IncomingEvent
from webapp.contacts.models import Contact
from webapp.db import utcnow, write_transaction
from webapp.segments import query
from webapp.segments.models import Segment
from webapp.workflows import runs
from webapp.workflows.models import Workflow, WorkflowSegmentMember

SCAN = "workflow.segment_scan"  # work: {"workflow_id"} -> compare the segment with its recorded members
CACHE_SECONDS = 5.0
CONTACT_KINDS = frozenset({"label_added", "label_removed", "stage_changed", "segment_entered"})
QUICK_SEGMENT_CHECKS = 20
SCAN_CHUNK = 500  # entrants recorded, and their runs started, per transaction  # segment workflows of an organization checked at once on a contact change

_cache: dict = {"at": 0.0, "kinds": frozenset()}


def active_kinds() -> frozenset[str]:
    if time.monotonic() - _cache["at"] > CACHE_SECONDS:
        kinds = {wf.trigger.get("kind") for wf in Workflow.select(Workflow.trigger).where(Workflow.state == "active")}
        _cache.update(at=time.monotonic(), kinds=frozenset(kinds))
    return _cache["kinds"]


def forget_cache() -> None:
    _cache["at"] = 0.0


def _active(org_id: int, kinds) -> list[Workflow]:
    found = Workflow.for_org(org_id).where(Workflow.state == "active").order_by(Workflow.id)
    return [wf for wf in found if wf.trigger.get("kind") in kinds]


# Contact changes ----------------------------------------------------------------------------------


def contact_changed(
    contact_id: int, *, stage_changes=(), labels_added=(), labels_removed=(), now: dt.datetime | None = None
) -> int:
    """Start the workflows this change of the contact triggers; returns how many runs started."""
    kinds = active_kinds() & CONTACT_KINDS
    if not kinds:
        return 0
    contact = Contact.get_or_none(Contact.id == contact_id)
    if contact is None:
        return 0
    now = now or utcnow()
    started = checks = 0
    for workflow in _active(contact.organization_id, kinds):
        trigger = workflow.trigger
        data = None
        if trigger["kind"] == "label_added" and trigger["label_id"] in labels_added:
            data = {"label_id": trigger["label_id"]}
        elif trigger["kind"] == "label_removed" and trigger["label_id"] in labels_removed:
            data = {"label_id": trigger["label_id"]}
        elif trigger["kind"] == "stage_changed":
            moves = [c for c in stage_changes or () if not trigger["to"] or c.get("to") == trigger["to"]]
            data = {"stage": moves[-1].get("to")} if moves else None
        elif trigger["kind"] == "segment_entered" and checks < QUICK_SEGMENT_CHECKS:
            checks += 1  # more are left to the periodic scan
            data = _entered_segment(workflow, contact, now)
        if data is not None and runs.start(workflow, contact, data, now):
            started += 1
    return started


def _entered_segment(workflow: Workflow, contact: Contact, now: dt.datetime) -> dict | None:
    """The contact's membership of the workflow's segment, compared with the last one recorded:
    the trigger's data when it entered, else None. Before the workflow's first scan, nothing."""
    if workflow.segment_checked_at is None:
        return None
    segment = Segment.get_or_none(
        (Segment.id == workflow.trigger["segment_id"]) & (Segment.organization == workflow.organization_id)
    )
    if segment is None:
        return None
    member = runs.in_segment(segment, contact.id, now)
    recorded = WorkflowSegmentMember.select().where(
        (WorkflowSegmentMember.workflow == workflow.id) & (WorkflowSegmentMember.contact == contact.id)
    )
    if member and not recorded.exists():
        WorkflowSegmentMember.insert(
            organization=workflow.organization_id, workflow=workflow.id, contact=contact.id, created_at=now
        ).on_conflict_ignore().execute()
        return {"segment_id": segment.id}
    if not member:
        WorkflowSegmentMember.delete().where(
            (WorkflowSegmentMember.workflow == workflow.id) & (WorkflowSegmentMember.contact == contact.id)
        ).execute()
    return None


# Tracked events -----------------------------------------------------------------------------------


def events_tracked(org_id: int, ids: list[int], now: dt.datetime | None = None) -> int:
    """Start the workflows whose trigger these processed events match; returns how many runs."""
    if "tracked_event" not in active_kinds():
        return 0
    workflows = _active(org_id, {"tracked_event"})
    if not workflows:
        return 0
    rows = IncomingEvent.select(
        IncomingEvent.id, IncomingEvent.type, IncomingEvent.properties, IncomingEvent.contact_id
    ).where(
        (IncomingEvent.organization == org_id)
        & IncomingEvent.id.in_(list(ids))
        & (IncomingEvent.status == "processed")
        & IncomingEvent.contact_id.is_null(False)
    )
    started = 0
    contacts: dict[int, Contact] = {}
    for row in rows.order_by(IncomingEvent.id):
        for workflow in workflows:
            if not event_matches(workflow.trigger, row.type, row.properties or {}):
                continue
            if row.contact_id not in contacts:
                contacts[row.contact_id] = Contact.get_by_id(row.contact_id)
            data = {"incoming_event_id": row.id, "type": row.type}
            if runs.start(workflow, contacts[row.contact_id], data, now):
                started += 1
    return started


def event_matches(trigger: dict, event_type: str, properties: dict) -> bool:
    if trigger["type"] != event_type:
        return False
    wanted = dict(trigger.get("properties") or {})
    for name in ("action", "status"):
        if trigger.get(name):
            wanted[name] = trigger[name]
    return all(name in properties and property_text(properties[name]) == value for name, value in wanted.items())


# Segment scans ------------------------------------------------------------------------------------


def queue_segment_scans() -> int:
    """One scan per active segment-triggered workflow (the periodic task)."""
    queued = 0
    for workflow in Workflow.select().where(Workflow.state == "active").order_by(Workflow.id):
        if workflow.trigger.get("kind") == "segment_entered":
            work.record(SCAN, {"workflow_id": workflow.id}, priority=work.BULK)
            queued += 1
    return queued


def scan_segment(workflow_id: int, now: dt.datetime | None = None) -> int:
    """Compare the segment's members now with those recorded: start a run for each contact who
    entered (except at the first scan, which only records), forget those who left (they enter
    again later, as new). Returns how many runs started. Each chunk of entrants is recorded with
    their runs in a transaction of its own: a scan cut short leaves the rest to the next one."""
    now = now or utcnow()
    workflow = Workflow.get_or_none(Workflow.id == workflow_id)
    if workflow is None or workflow.state != "active" or workflow.trigger.get("kind") != "segment_entered":
        return 0
    segment = Segment.get_or_none(
        (Segment.id == workflow.trigger["segment_id"]) & (Segment.organization == workflow.organization_id)
    )
    if segment is None:
        return 0
    members = {
        cid for (cid,) in query.members(workflow.organization_id, segment.tree, now=now).select(Contact.id).tuples()
    }
    recorded = {
        cid
        for (cid,) in WorkflowSegmentMember.select(WorkflowSegmentMember.contact)
        .where(WorkflowSegmentMember.workflow == workflow.id)
        .tuples()
    }
    entered, left = sorted(members - recorded), sorted(recorded - members)
    for start in range(0, len(left), SCAN_CHUNK):
        with write_transaction():
            WorkflowSegmentMember.delete().where(
                (WorkflowSegmentMember.workflow == workflow.id)
                & WorkflowSegmentMember.contact.in_(left[start : start + SCAN_CHUNK])
            ).execute()
    started = 0
    for start in range(0, len(entered), SCAN_CHUNK):
        chunk = entered[start : start + SCAN_CHUNK]
        with write_transaction():
            WorkflowSegmentMember.insert_many(
                [
                    {
                        "organization": workflow.organization_id,
                        "workflow": workflow.id,
                        "contact": cid,
                        "created_at": now,
                    }
                    for cid in chunk
                ]
            ).on_conflict_ignore().execute()
            if workflow.segment_checked_at is not None:
                for contact in Contact.select().where(Contact.id.in_(chunk)):
                    if runs.start(workflow, contact, {"segment_id": segment.id}, now):
                        started += 1
    Workflow.update(segment_checked_at=now).where(Workflow.id == workflow.id).execute()
    return started
