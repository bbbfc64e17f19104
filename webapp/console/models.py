"""Background work started from the console: CSV imports and bulk actions, with their progress."""

from __future__ import annotations

import peewee as pw

from webapp.accounts.models import Organization, User
from webapp.db import JSONField, OrgScoped, utcnow
from webapp.events.models import Event

JOB_KINDS = ("import", "bulk")
JOB_STATES = ("mapping", "queued", "running", "done", "failed")


class ConsoleJob(OrgScoped):
    """One import or bulk action over many registrants. The progress bar reads `processed/total`.

    An import goes mapping (file uploaded, columns being chosen) -> queued -> running -> done; a
    bulk action starts at queued. `failed` means the job itself broke (not a bad row: bad rows are
    counted in `failed_rows` and described in `row_errors`)."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, on_delete="CASCADE")
    user = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    kind = pw.CharField(max_length=16, choices=[(k, k) for k in JOB_KINDS])
    state = pw.CharField(max_length=16, default="queued", choices=[(s, s) for s in JOB_STATES])
    # import: {"filename", "path", "delimiter", "headers", "mapping", "product_id", "duplicates",
    #          "send_ticket", "paid"}; bulk: {"action", "label", "ids" or "filters"}
    params = JSONField(default=dict)
    total = pw.IntegerField(default=0)
    processed = pw.IntegerField(default=0)
    created_rows = pw.IntegerField(default=0)
    updated_rows = pw.IntegerField(default=0)
    skipped_rows = pw.IntegerField(default=0)
    failed_rows = pw.IntegerField(default=0)
    row_errors = JSONField(default=list)  # [{"row": n, "email": ..., "errors": [...]}], capped
    error = pw.TextField(null=True)  # why the whole job failed
    created_at = pw.DateTimeField(default=utcnow)
    started_at = pw.DateTimeField(null=True)
    finished_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("event", "created_at"), False),)

    @property
    def percent(self) -> int:
        if self.state == "done":
            return 100
        if not self.total:
            return 0
        return min(99, int(self.processed * 100 / self.total))

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")
