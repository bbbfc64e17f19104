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


def _plain_columns(index: peewee.Index) -> tuple[str, ...] | None:
    """The columns of an index made of whole columns only (no expression, condition or method)."""
    if index._where is not None or index._using is not None:
        return None
    if not all(isinstance(part, peewee.Field) for part in index._expressions):
        return None
    return tuple(part.column_name for part in index._expressions)


class Metadata(peewee.Metadata):
    """A model's metadata, with one rule on its indexes: a column's own index (peewee gives every
    foreign key one) is left out when another index of the table begins with that column. The
    longer index answers the same lookups and keeps the same deletes of the parent row cheap; every
    row written then keeps one index fewer (a first door scan on PostgreSQL: 26 indexes, not 32).
    Migrations write the same list out (0755); tests/test_app.py holds the two to each other.
    """

    def fields_to_index(self) -> list[peewee.Index]:
        indexes = super().fields_to_index()
        columns = [_plain_columns(index) for index in indexes]
        leading = {cols[0] for cols in columns if cols is not None and len(cols) > 1}
        return [
            index
            for index, cols in zip(indexes, columns, strict=True)
            if index._unique or cols is None or len(cols) > 1 or cols[0] not in leading
        ]


class BaseModel(peewee.Model):
    class Meta:
        database = db
        legacy_table_names = False
        model_metadata_class = Metadata


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
