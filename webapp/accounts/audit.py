"""The audit trail: who changed what, when. Services call `record` inside their transaction."""

from __future__ import annotations

import peewee as pw

from webapp.accounts.models import Organization, User
from webapp.db import JSONField, OrgScoped, utcnow


class AuditEntry(OrgScoped):
    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    user = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")  # None: API key or system
    actor = pw.CharField(max_length=200, default="")  # "ana@example.org", "api key 'crm'", "system"
    action = pw.CharField(max_length=64)  # "event.update", "order.cancel", ...
    target_type = pw.CharField(max_length=32, default="")
    target_id = pw.IntegerField(null=True)
    summary = pw.CharField(max_length=500, default="")
    changes = JSONField(default=dict)  # {"field": [old, new]}
    created_at = pw.DateTimeField(default=utcnow, index=True)


def record(
    org_id: int,
    action: str,
    *,
    user: User | None = None,
    actor: str | None = None,
    target=None,
    summary: str = "",
    changes: dict | None = None,
) -> AuditEntry:
    return AuditEntry.create(
        organization=org_id,
        user=user,
        actor=actor or (user.email if user else "system"),
        action=action,
        target_type=type(target).__name__.lower() if target is not None else "",
        target_id=getattr(target, "id", None),
        summary=summary[:500],
        changes=changes or {},
    )


def diff(obj, fields: dict) -> dict:
    """{field: [old, new]} for the fields whose value changes; sets the new values on obj."""
    changes = {}
    for name, new in fields.items():
        old = getattr(obj, name)
        if old != new:
            changes[name] = [_plain(old), _plain(new)]
            setattr(obj, name, new)
    return changes


def _plain(value):
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return str(value)
