"""A contact's way through a workflow. A run is a row (the step it is at, when it moves on, its
history) and a work item of kind STEP that moves it on: `advance` takes the steps from the run's
step to the next wait (or the end) in one transaction with the row, so a worker that dies half-way
leaves nothing done and the item, once its lease lapses, does it all once. A wait records the next
item with its delay in the same transaction; a run whose workflow is paused stays where it is until
the workflow is active again (`resume_runs`)."""

from __future__ import annotations

import datetime as dt
import logging

import peewee as pw

from webapp import work
from webapp.contacts import service as contacts
from webapp.contacts.models import Contact, ContactLabel
from webapp.db import db, locked, utcnow, write_transaction
from webapp.i18n import StoredText, message_of, stored_from, stored_text, verbatim
from webapp.segments import query
from webapp.segments.models import Segment
from webapp.workflows import actions
from webapp.workflows.definition import wait_of
from webapp.workflows.models import OPEN_RUN_STATES, Workflow, WorkflowRun

log = logging.getLogger("rollcall.workflows")

STEP = "workflow.step"  # work: {"run_id"} -> advance the run as far as it can go now
MAX_ENTRIES_PER_DAY = 10  # with re-entry: a contact starts one workflow at most this often a day
TIMELINE_KIND = "workflow"


def _history(
    run: WorkflowRun, now: dt.datetime, outcome: str, *, step: int | None = None, detail: StoredText | None = None
) -> None:
    entry = {"at": now.isoformat(timespec="seconds"), "outcome": outcome}
    if step is not None:
        entry["step"] = step
    if detail is not None and detail.english:
        entry["detail"], entry["detail_i18n"] = detail.english[:300], detail.to_json()
    run.history = [*(run.history or []), entry]


def _timeline(contact: Contact, workflow: Workflow, run: WorkflowRun, text: StoredText, now: dt.datetime) -> None:
    contacts.record_activity(
        contact,
        TIMELINE_KIND,
        occurred_at=now,
        summary=stored_text("Workflow “%(workflow)s”: %(text)s", workflow=workflow.name, text=text),
        data={"workflow_id": workflow.id, "run_id": run.id},
    )


# Starting -----------------------------------------------------------------------------------------


def start(workflow: Workflow, contact: Contact, trigger_data: dict | None = None, now: dt.datetime | None = None):
    """Start the workflow for the contact, in the caller's transaction, unless it is not active or
    the contact may not enter (again). Returns the run, or None."""
    now = now or utcnow()
    if workflow.state != "active" or contact.organization_id != workflow.organization_id:
        return None
    previous = WorkflowRun.select().where((WorkflowRun.workflow == workflow.id) & (WorkflowRun.contact == contact.id))
    if not workflow.allow_reentry:
        if previous.exists():
            return None
        number = 1
    else:
        if previous.where(WorkflowRun.state.in_(OPEN_RUN_STATES)).exists():
            return None  # one run at a time per contact
        if previous.where(WorkflowRun.created_at > now - dt.timedelta(days=1)).count() >= MAX_ENTRIES_PER_DAY:
            return None  # a trigger the workflow itself sets off again and again
        number = (previous.select(pw.fn.MAX(WorkflowRun.number)).scalar() or 0) + 1
    run = WorkflowRun(
        organization=workflow.organization_id,
        workflow=workflow.id,
        contact=contact.id,
        number=number,
        state="running",
        trigger_data=trigger_data or {},
        history=[],
        created_at=now,
        updated_at=now,
    )
    _history(run, now, "started", detail=describe_trigger_data(trigger_data or {}))
    try:
        with db.atomic():
            run.save(force_insert=True)
    except pw.IntegrityError:
        return None  # another worker started it
    started = stored_text("started (run %(number)s)", number=number) if number > 1 else stored_text("started")
    _timeline(contact, workflow, run, started, now)
    work.record(STEP, {"run_id": run.id})
    return run


def describe_wait(step: dict) -> StoredText:
    """ "1 day", "3 hours", shown in the reader's language."""
    amount, unit = step["amount"], step["unit"]
    if unit == "days":
        return stored_text("1 day") if amount == 1 else stored_text("%(amount)s days", amount=amount)
    if unit == "hours":
        return stored_text("1 hour") if amount == 1 else stored_text("%(amount)s hours", amount=amount)
    return stored_text("1 minute") if amount == 1 else stored_text("%(amount)s minutes", amount=amount)


def describe_trigger_data(data: dict) -> StoredText:
    return verbatim(", ".join(f"{k} {v}" for k, v in sorted(data.items()))[:300])


# Moving on ----------------------------------------------------------------------------------------


def advance(run_id: int, now: dt.datetime | None = None) -> str:
    """Take the run's steps until a wait, a condition not met, a failure or the end. Returns what
    became of it: waiting, exited, failed, done; or paused, early (its wait is not over: it is
    recorded again for then) or gone (finished already, or deleted)."""
    now = now or utcnow()
    with write_transaction():
        run = locked(WorkflowRun.select().where(WorkflowRun.id == run_id)).first()
        if run is None or run.state not in OPEN_RUN_STATES:
            return "gone"
        workflow = Workflow.get_by_id(run.workflow_id)
        if workflow.state != "active":
            if run.state != "waiting":
                run.state, run.updated_at = "waiting", now
                run.save()
            return "paused"
        if run.next_at is not None and run.next_at > now:
            # Not due yet (an item that came early): back in line for the rest of the wait.
            work.record(STEP, {"run_id": run.id}, delay=run.next_at - now)
            return "early"
        contact = Contact.get_by_id(run.contact_id)
        result = _take_steps(workflow, run, contact, now)
        run.updated_at = now
        run.save()
    if result in ("exited", "failed", "done"):
        log.info("workflow %s run %s (contact %s): %s", workflow.id, run.id, contact.id, result)
    return result


def _take_steps(workflow: Workflow, run: WorkflowRun, contact: Contact, now: dt.datetime) -> str:
    steps = workflow.steps or []
    run.state, run.next_at = "running", None
    while run.step_index < len(steps):
        index, step = run.step_index, steps[run.step_index]
        if step["kind"] == "wait":
            delay = wait_of(step)
            run.step_index, run.state, run.next_at = index + 1, "waiting", now + delay
            _history(run, now, "waiting", step=index, detail=describe_wait(step))
            _timeline(contact, workflow, run, stored_text("waiting %(wait)s", wait=describe_wait(step)), now)
            work.record(STEP, {"run_id": run.id}, delay=delay)
            return "waiting"
        if step["kind"] == "condition":
            if not condition_holds(workflow.organization_id, step, contact, now):
                _finish(run, "exited", now)
                _history(run, now, "condition_not_met", step=index)
                _timeline(
                    contact,
                    workflow,
                    run,
                    stored_text("left at step %(step)s (condition not met)", step=index + 1),
                    now,
                )
                return "exited"
            _history(run, now, "condition_met", step=index)
            run.step_index = index + 1
            continue
        try:
            with db.atomic():
                done = actions.perform(workflow, run, contact, index, step)
        except (actions.StepFailed, contacts.ContactError) as exc:
            _finish(run, "failed", now)
            _history(run, now, "failed", step=index, detail=stored_from(message_of(exc)))
            _timeline(
                contact,
                workflow,
                run,
                stored_text("step %(step)s failed: %(error)s", step=index + 1, error=stored_from(message_of(exc))),
                now,
            )
            return "failed"
        _history(run, now, done.outcome, step=index, detail=done.detail)
        _timeline(
            contact,
            workflow,
            run,
            stored_text(
                "step %(step)s: %(kind)s (%(detail)s)",
                step=index + 1,
                kind=step["kind"].replace("_", " "),
                detail=done.detail or "",
            ),
            now,
        )
        run.step_index = index + 1
    _finish(run, "done", now)
    _history(run, now, "finished")
    _timeline(contact, workflow, run, stored_text("finished"), now)
    return "done"


def _finish(run: WorkflowRun, state: str, now: dt.datetime) -> None:
    run.state, run.finished_at, run.next_at = state, now, None


def condition_holds(org_id: int, step: dict, contact: Contact, now: dt.datetime) -> bool:
    if step["check"] == "has_label":
        return (
            ContactLabel.select()
            .where((ContactLabel.contact == contact.id) & (ContactLabel.label == step["label_id"]))
            .exists()
        )
    segment = Segment.get_or_none((Segment.id == step["segment_id"]) & (Segment.organization == org_id))
    return segment is not None and in_segment(segment, contact.id, now)


def in_segment(segment: Segment, contact_id: int, now: dt.datetime) -> bool:
    return query.members(segment.organization_id, segment.tree, now=now).where(Contact.id == contact_id).exists()


def resume_runs(workflow: Workflow, now: dt.datetime | None = None) -> int:
    """Record the moving-on of every open run of a workflow made active again: at once, or when its
    wait is over. (An item of a run that was already due too finds nothing left to do.)"""
    now = now or utcnow()
    count = 0
    open_runs = WorkflowRun.select(WorkflowRun.id, WorkflowRun.next_at).where(
        (WorkflowRun.workflow == workflow.id) & WorkflowRun.state.in_(OPEN_RUN_STATES)
    )
    for run in open_runs:
        delay = run.next_at - now if run.next_at and run.next_at > now else None
        work.record(STEP, {"run_id": run.id}, delay=delay, priority=work.BULK)
        count += 1
    return count
