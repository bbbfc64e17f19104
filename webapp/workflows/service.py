"""Workflows of an organization: create, edit, activate, pause and delete them, and read their runs.

A workflow starts as a draft; activating it lets its trigger start runs; pausing it stops new runs
and holds its runs where they are; activating it again moves them on (waits that ended meanwhile
at once). Changing the trigger of a segment-triggered workflow starts its membership record over."""

from __future__ import annotations

import datetime as dt

import peewee as pw

from webapp.accounts import audit
from webapp.accounts.models import User
from webapp.contacts.models import Contact
from webapp.db import db, utcnow
from webapp.i18n import _, verbatim
from webapp.workflows import runs, triggers
from webapp.workflows.definition import WorkflowInvalid, clean_steps, clean_trigger
from webapp.workflows.models import RUN_STATES, Workflow, WorkflowRun, WorkflowSegmentMember

NAME_LENGTH = 120
RUNS_PAGE = 50


def _clean_name(name) -> str:
    cleaned = " ".join(str(name or "").split())
    if not cleaned:
        raise WorkflowInvalid({"name": _("Give the workflow a name.")})
    if len(cleaned) > NAME_LENGTH or "\x00" in cleaned:
        raise WorkflowInvalid({"name": _("At most %(n)d characters.", n=NAME_LENGTH)})
    return cleaned


def clean(org_id: int, *, name, trigger, steps) -> dict:
    """The workflow's values checked together: WorkflowInvalid with every field at fault."""
    errors: dict[str, str] = {}
    values: dict = {}
    for field, check in (
        ("name", lambda: _clean_name(name)),
        ("trigger", lambda: clean_trigger(org_id, trigger)),
        ("steps", lambda: clean_steps(org_id, steps)),
    ):
        try:
            values[field] = check()
        except WorkflowInvalid as exc:
            errors.update(exc.errors)
    if errors:
        raise WorkflowInvalid(errors)
    return values


def create_workflow(
    org_id: int, *, name, trigger, steps, allow_reentry: bool = False, actor: User | None = None
) -> Workflow:
    values = clean(org_id, name=name, trigger=trigger, steps=steps)
    with db.atomic():
        workflow = Workflow.create(
            organization=org_id, allow_reentry=bool(allow_reentry), state="draft", created_by=actor, **values
        )
        audit.record(org_id, "workflow.create", user=actor, target=workflow, summary=verbatim(workflow.name))
    return workflow


def update_workflow(
    workflow: Workflow, *, name, trigger, steps, allow_reentry: bool = False, actor: User | None = None
) -> dict:
    """Runs under way carry on at their step number in the new steps."""
    values = clean(workflow.organization_id, name=name, trigger=trigger, steps=steps)
    with db.atomic():
        trigger_changed = values["trigger"] != workflow.trigger
        changes = audit.diff(workflow, {**values, "allow_reentry": bool(allow_reentry)})
        if changes:
            workflow.updated_at = utcnow()
            if trigger_changed:
                _forget_members(workflow)
            workflow.save()
            audit.record(
                workflow.organization_id,
                "workflow.update",
                user=actor,
                target=workflow,
                summary=verbatim(workflow.name),
                changes=changes,
            )
    triggers.forget_cache()
    return changes


def _forget_members(workflow: Workflow) -> None:
    workflow.segment_checked_at = None
    WorkflowSegmentMember.delete().where(WorkflowSegmentMember.workflow == workflow.id).execute()


def activate(workflow: Workflow, *, actor: User | None = None, now: dt.datetime | None = None) -> int:
    """Let the trigger start runs, and move on the runs a pause held. Returns how many runs resume."""
    if workflow.state == "active":
        return 0
    with db.atomic():
        workflow.state, workflow.updated_at = "active", utcnow()
        workflow.save(only=[Workflow.state, Workflow.updated_at])
        resumed = runs.resume_runs(workflow, now)
        audit.record(
            workflow.organization_id, "workflow.activate", user=actor, target=workflow, summary=verbatim(workflow.name)
        )
    triggers.forget_cache()
    return resumed


def pause(workflow: Workflow, *, actor: User | None = None) -> bool:
    if workflow.state != "active":
        return False
    with db.atomic():
        workflow.state, workflow.updated_at = "paused", utcnow()
        workflow.save(only=[Workflow.state, Workflow.updated_at])
        audit.record(
            workflow.organization_id, "workflow.pause", user=actor, target=workflow, summary=verbatim(workflow.name)
        )
    triggers.forget_cache()
    return True


def delete_workflow(workflow: Workflow, *, actor: User | None = None) -> None:
    with db.atomic():
        audit.record(
            workflow.organization_id, "workflow.delete", user=actor, target=workflow, summary=verbatim(workflow.name)
        )
        workflow.delete_instance()
    triggers.forget_cache()


# Reading ------------------------------------------------------------------------------------------


def workflows_of(org_id: int) -> list[tuple[Workflow, dict[str, int]]]:
    """Each workflow with its runs counted by state."""
    workflows = list(Workflow.for_org(org_id).order_by(pw.fn.LOWER(Workflow.name), Workflow.id))
    counts: dict[int, dict[str, int]] = {wf.id: dict.fromkeys(RUN_STATES, 0) for wf in workflows}
    if workflows:
        rows = (
            WorkflowRun.select(WorkflowRun.workflow, WorkflowRun.state, pw.fn.COUNT(WorkflowRun.id))
            .where((WorkflowRun.organization == org_id) & WorkflowRun.workflow.in_(list(counts)))
            .group_by(WorkflowRun.workflow, WorkflowRun.state)
            .tuples()
        )
        for workflow_id, state, count in rows:
            counts[workflow_id][state] = count
    return [(wf, counts[wf.id]) for wf in workflows]


def runs_of(workflow: Workflow, *, state: str | None = None, before_id: int | None = None) -> list[WorkflowRun]:
    """The workflow's runs, newest first, a page at a time, with their contacts."""
    found = (
        WorkflowRun.select(WorkflowRun, Contact)
        .join(Contact)
        .where((WorkflowRun.workflow == workflow.id) & (WorkflowRun.organization == workflow.organization_id))
    )
    if state in RUN_STATES:
        found = found.where(WorkflowRun.state == state)
    if before_id:
        found = found.where(WorkflowRun.id < before_id)
    return list(found.order_by(WorkflowRun.id.desc()).limit(RUNS_PAGE))
