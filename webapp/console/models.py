"""Background work started from the console: CSV imports, bulk actions and large exports, with
their progress."""

from __future__ import annotations

import datetime as dt

import peewee as pw

from webapp.accounts.models import Organization, User
from webapp.db import JSONField, OrgScoped, utcnow
from webapp.events.models import Event

JOB_KINDS = ("import", "bulk", "export")
JOB_STATES = ("mapping", "queued", "running", "done", "failed")
# A running job records a heartbeat with its progress, at least every few seconds; none for this
# long and its worker is taken for dead (webapp.console.jobs resumes or fails it).
STALL_AFTER = dt.timedelta(minutes=5)


class ConsoleJob(OrgScoped):
    """One import, bulk action or export over many registrants. The progress bar reads
    `processed/total`.

    An import goes mapping (file uploaded, columns being chosen) -> queued -> running -> done; a
    bulk action or an export starts at queued. `failed` means the job itself broke (not a bad row:
    bad rows are counted in `failed_rows` and described in `row_errors`). A running job whose
    worker died goes back to queued and resumes where its last heartbeat left it (`runs` counts
    the starts; only the run that claimed the job last may write its progress)."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, on_delete="CASCADE")
    user = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    kind = pw.CharField(max_length=16, choices=[(k, k) for k in JOB_KINDS])
    state = pw.CharField(max_length=16, default="queued", choices=[(s, s) for s in JOB_STATES])
    # import: {"filename", "path", "delimiter", "headers", "mapping", "product_id", "duplicates",
    #          "send_ticket", "paid"}; bulk: {"action", "label", "ids" or "filters"};
    #          export: {"table", "format", "path", "filename"}
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
    heartbeat_at = pw.DateTimeField(null=True)  # the last progress a running job recorded
    runs = pw.IntegerField(default=0)  # how many times a worker started it (resumes included)
    last_done_id = pw.IntegerField(null=True)  # bulk: the last registrant it handled (ids go up)

    class Meta:
        indexes = ((("event", "created_at"), False), (("state", "heartbeat_at"), False))

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

    @property
    def stalled(self) -> bool:
        """Running, yet no progress recorded for STALL_AFTER: its worker has most likely died."""
        if self.state != "running":
            return False
        last_sign = self.heartbeat_at or self.started_at or self.created_at
        return last_sign < utcnow() - STALL_AFTER
