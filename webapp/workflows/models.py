"""Workflows: an organization's trigger, its steps, and one run per contact that entered it."""

from __future__ import annotations

import peewee as pw

from webapp.accounts.models import Organization, User
from webapp.contacts.models import Contact
from webapp.db import JSONField, OrgScoped, utcnow

WORKFLOW_STATES = ("draft", "active", "paused")
RUN_STATES = ("waiting", "running", "done", "failed", "exited")
OPEN_RUN_STATES = ("waiting", "running")  # a run that has steps left to take


class Workflow(OrgScoped):
    """A trigger (webapp.workflows.definition) and the steps every contact it starts goes through.
    Only an active workflow starts runs and moves them on; a paused one keeps its runs waiting."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    name = pw.CharField(max_length=120)
    trigger = JSONField()
    steps = JSONField(default=list)
    allow_reentry = pw.BooleanField(default=False)
    state = pw.CharField(max_length=8, default="draft", choices=[(s, s) for s in WORKFLOW_STATES])
    # Segment triggers: when membership was last compared (None: the next scan records who is in
    # the segment as the starting point, without starting runs for them).
    segment_checked_at = pw.DateTimeField(null=True)
    created_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("organization", "state"), False),)


class WorkflowRun(OrgScoped):
    """One contact going through one workflow: the step it is at, when it moves on (`next_at`),
    and what happened so far (`history`). Without re-entry a contact has one run (number 1);
    with it, each entry is the next number."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    workflow = pw.ForeignKeyField(Workflow, backref="runs", on_delete="CASCADE")
    contact = pw.ForeignKeyField(Contact, on_delete="CASCADE")
    number = pw.IntegerField(default=1)
    state = pw.CharField(max_length=8, default="running", choices=[(s, s) for s in RUN_STATES])
    step_index = pw.IntegerField(default=0)
    next_at = pw.DateTimeField(null=True)
    history = JSONField(default=list)
    trigger_data = JSONField(default=dict)
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)
    finished_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = (
            (("workflow", "contact", "number"), True),
            (("workflow", "state", "next_at"), False),
        )


class WorkflowSegmentMember(OrgScoped):
    """A contact found in a segment-triggered workflow's segment at its last scan: the next scan
    starts runs for those it finds that are not recorded here (they entered)."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    workflow = pw.ForeignKeyField(Workflow, on_delete="CASCADE")
    contact = pw.ForeignKeyField(Contact, on_delete="CASCADE")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("workflow", "contact"), True),)
