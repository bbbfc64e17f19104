"""A segment is a named condition tree of an organization; its member count is recorded daily."""

from __future__ import annotations

import peewee as pw

from webapp.accounts.models import Organization, User
from webapp.db import BaseModel, JSONField, OrgScoped, utcnow


class Segment(OrgScoped):
    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    name = pw.CharField(max_length=120)
    description = pw.TextField(default="")
    tree = JSONField()  # the normalized tree (webapp.segments.tree)
    created_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("organization", "name"), True),)


class SegmentCount(BaseModel):
    """How many contacts the segment held on a day (recorded by a daily task)."""

    segment = pw.ForeignKeyField(Segment, backref="counts", on_delete="CASCADE")
    day = pw.DateField()
    count = pw.IntegerField()

    class Meta:
        indexes = ((("segment", "day"), True),)
