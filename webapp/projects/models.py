"""Projects: one initiative (a multi-session conference, a sponsor activation) grouping events of
the organization, with its milestones and tasks; its documents are webapp/documents' (owned by the
project). Its participants are the registrants of its events; the emails sent from it are
campaigns carrying its id (webapp/campaigns)."""

from __future__ import annotations

import peewee as pw

from webapp.accounts.models import Organization, User
from webapp.db import OrgScoped, utcnow
from webapp.events.models import Event

TASK_STATUSES = ("todo", "doing", "done")


class Project(OrgScoped):
    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    name = pw.CharField(max_length=200)
    description = pw.TextField(default="")
    created_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("organization", "name"), False),)


class ProjectEvent(OrgScoped):
    """An event linked to a project (an event may belong to several projects)."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    project = pw.ForeignKeyField(Project, backref="event_links", on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, backref="+", on_delete="CASCADE")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "project_event"
        indexes = ((("project", "event"), True),)


class Milestone(OrgScoped):
    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    project = pw.ForeignKeyField(Project, backref="milestones", on_delete="CASCADE")
    title = pw.CharField(max_length=200)
    due_on = pw.DateField()
    done = pw.BooleanField(default=False)
    created_at = pw.DateTimeField(default=utcnow)


class ProjectTask(OrgScoped):
    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    project = pw.ForeignKeyField(Project, backref="tasks", on_delete="CASCADE")
    title = pw.CharField(max_length=200)
    assignee = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")  # a member
    due_on = pw.DateField(null=True)
    status = pw.CharField(max_length=8, default="todo", choices=[(s, s) for s in TASK_STATUSES])
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "project_task"
