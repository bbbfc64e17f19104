"""Files attached to an owner (an event today) and who may see them."""

from __future__ import annotations

import peewee as pw

from webapp.accounts.models import Organization, User
from webapp.db import JSONField, OrgScoped, utcnow
from webapp.events.models import Event

VISIBILITY = ("operators", "groups")


class Document(OrgScoped):
    """A stored file (webapp/storage.py) of an owner. The owner is an event; another kind of owner
    (a project) gets a nullable column of its own beside `event`, and exactly one is set."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, null=True, backref="documents", on_delete="CASCADE")
    title = pw.CharField(max_length=200)
    filename = pw.CharField(max_length=200)  # as uploaded, cleaned; offered on download
    content_type = pw.CharField(max_length=100)
    size = pw.IntegerField()
    storage_key = pw.CharField(max_length=300, unique=True)
    # "operators": the console only; "groups": also the lobby of the chosen participant groups
    visibility = pw.CharField(max_length=16, default="operators", choices=[(v, v) for v in VISIBILITY])
    group_ids = JSONField(default=list)
    uploaded_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("event", "created_at"), False),)
