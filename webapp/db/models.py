"""What every model is built on: the base model bound to the database, the organization-scoped
base, the JSON field, and `utcnow` (every stored datetime is naive UTC).
"""

from __future__ import annotations

import datetime as dt
import json

import peewee

from webapp.db.connection import db


def utcnow() -> dt.datetime:
    """Now, in UTC, naive: every stored datetime is UTC."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


class BaseModel(peewee.Model):
    class Meta:
        database = db
        legacy_table_names = False


class OrgScoped(BaseModel):
    """Marker base for rows that belong to an organization (`organization` field required)."""

    @classmethod
    def for_org(cls, org_id: int):
        return cls.select().where(cls.organization == org_id)

    @classmethod
    def get_for_org(cls, org_id: int, pk: int):
        """The row with this id in this organization, or DoesNotExist (shown as 404)."""
        return cls.get((cls.id == pk) & (cls.organization == org_id))


class JSONField(peewee.TextField):
    """JSON stored as text: works the same on SQLite and PostgreSQL."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, separators=(",", ":"), sort_keys=True)

    def python_value(self, value):
        return None if value is None else json.loads(value)
