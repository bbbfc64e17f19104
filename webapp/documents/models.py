"""Files attached to an owner — an event or a project, exactly one — and who may see them."""

from __future__ import annotations

import peewee as pw

from webapp.accounts.models import Organization, User
from webapp.db import JSONField, OrgScoped, utcnow
from webapp.events.models import Event

# "operators": the console only; "groups": also the lobby of the chosen participant groups (an
# event's document); "participants": also the lobby of every ticket holder of the project's events.
VISIBILITY = ("operators", "groups", "participants")
VISIBILITY_FOR = {"event": ("operators", "groups"), "project": ("operators", "participants")}


class Document(OrgScoped):
    """A stored file (webapp/storage.py) of one owner. A project lives in a higher layer
    (webapp.projects), so it is held by id; the schema still deletes its documents with it and
    checks that exactly one owner is set."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, null=True, backref="documents", on_delete="CASCADE")
    project_id = pw.IntegerField(null=True)
    title = pw.CharField(max_length=200)
    filename = pw.CharField(max_length=200)  # as uploaded, cleaned; offered on download
    content_type = pw.CharField(max_length=100)
    size = pw.IntegerField()
    storage_key = pw.CharField(max_length=300, unique=True)
    visibility = pw.CharField(max_length=16, default="operators", choices=[(v, v) for v in VISIBILITY])
    group_ids = JSONField(default=list)  # participant groups of the event ("groups")
    uploaded_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("event", "created_at"), False), (("project_id", "created_at"), False))
        constraints = [pw.SQL('CHECK (("event_id" IS NULL) <> ("project_id" IS NULL))')]

    @property
    def owner_kind(self) -> str:
        return "event" if self.event_id is not None else "project"
