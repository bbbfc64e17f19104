"""Workflows made the short way, and a template to send."""

from __future__ import annotations

import datetime as dt

from webapp import work
from webapp.db import utcnow
from webapp.mail import content
from webapp.workflows import runs, service
from webapp.workflows.models import WorkflowRun


def make_workflow(org, trigger: dict, steps: list[dict], *, active: bool = True, **kwargs):
    workflow = service.create_workflow(
        org.id, name=kwargs.pop("name", "Welcome"), trigger=trigger, steps=steps, **kwargs
    )
    if active:
        service.activate(workflow)
    return workflow


def make_template(event, subject: str = "Hello {{ attendee.first_name }}", lang: str = "en"):
    return content.save_template(
        event,
        "workflow-welcome",
        lang,
        subject=subject,
        html_body="<p>Hi {{ attendee.name }}, about {{ event.name }}.</p>",
        text_body="Hi {{ attendee.name }}, about {{ event.name }}.",
        actor=None,
    )


def runs_of(workflow) -> list[WorkflowRun]:
    return list(WorkflowRun.select().where(WorkflowRun.workflow == workflow.id).order_by(WorkflowRun.id))


def later(**delta) -> dt.datetime:
    return utcnow() + dt.timedelta(**delta)


def move_on(now: dt.datetime) -> list[str]:
    """Advance every open run as its due work item would at `now` (the items of waits are delayed:
    immediate mode runs only what is ready)."""
    open_runs = WorkflowRun.select(WorkflowRun.id).where(WorkflowRun.state.in_(("waiting", "running")))
    return [runs.advance(run.id, now=now) for run in open_runs.order_by(WorkflowRun.id)]


def pending_steps() -> int:
    return work.WorkItem.select().where(work.WorkItem.kind == runs.STEP).count()
