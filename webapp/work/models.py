"""The work item: one durable piece of work to do later, written in the transaction that needs it."""

from __future__ import annotations

import datetime as dt

import peewee as pw

from webapp.db import BaseModel, JSONField, utcnow

URGENT = 100  # a person is waiting: ticket and payment emails, resets, webhooks, signal delivery
BULK = 0  # nobody waits at a screen: imports, exports, bulk actions, PDF regeneration, campaign batches


class WorkItem(BaseModel):
    """Ready when `dead_at` is empty, `run_after` has passed and no live lease holds it.

    A claimed item carries a lease (a token and an expiry). Finished work is deleted; a failure is
    retried with backoff; after `max_attempts` failures the item is dead-lettered (`dead_at` and
    the reason in `last_error`) for an operator to see and retry. A lease that expires (its worker
    was killed mid-work) makes the item ready again without counting a failure."""

    kind = pw.CharField(max_length=64)
    payload = JSONField()
    priority = pw.SmallIntegerField(default=URGENT)
    run_after = pw.DateTimeField(default=utcnow)
    attempts = pw.IntegerField(default=0)  # failures so far
    max_attempts = pw.IntegerField(default=8)
    lease = pw.CharField(max_length=16, null=True)
    leased_until = pw.DateTimeField(null=True)
    last_error = pw.TextField(null=True)
    dead_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=utcnow)
    # The id of the request that recorded it (webapp/observability): the worker's log lines about
    # this item carry it.
    request_id = pw.CharField(max_length=64, null=True)

    class Meta:
        table_name = "work_item"
        indexes = ((("dead_at", "priority", "run_after"), False),)


JOB_STATES = ("mapping", "queued", "running", "done", "failed")


class Job(BaseModel):
    """One long operator job (an import, a bulk action, an export, a badge or ticket PDF build):
    what the console's progress bar reads (`processed/total`).

    A job goes queued -> running -> done (an import first waits in `mapping` for its columns to
    be chosen). `failed` means the job itself broke; bad rows are counted in `failed_rows` and
    described in `row_errors`. It runs as a work item (webapp.work.jobs): a worker that dies
    loses the item's lease and the next run resumes from `checkpoint`, saved in the transaction
    of the work it counts. `runs` counts the starts; only the run that started it last may write.

    The core knows no domain: the organization, event and user are plain ids (the migration
    declares their foreign keys), and each kind's body is registered by its domain."""

    organization_id = pw.IntegerField(index=True)
    event_id = pw.IntegerField(null=True, index=True)
    user_id = pw.IntegerField(null=True)
    kind = pw.CharField(max_length=32)
    state = pw.CharField(max_length=16, default="queued", choices=[(s, s) for s in JOB_STATES])
    params = JSONField(default=dict)  # what the job is asked to do, per kind
    total = pw.IntegerField(default=0)
    processed = pw.IntegerField(default=0)
    created_rows = pw.IntegerField(default=0)
    updated_rows = pw.IntegerField(default=0)
    skipped_rows = pw.IntegerField(default=0)
    failed_rows = pw.IntegerField(default=0)
    row_errors = JSONField(default=list)  # the first few hundred rows that failed, with why
    error = pw.TextField(null=True)  # why the whole job failed
    error_i18n = JSONField(null=True)  # the same as a stored message (webapp.i18n), shown translated
    checkpoint = JSONField(default=dict)  # where a resumed run carries on (per kind)
    created_at = pw.DateTimeField(default=utcnow)
    started_at = pw.DateTimeField(null=True)
    finished_at = pw.DateTimeField(null=True)
    heartbeat_at = pw.DateTimeField(null=True)  # the last progress a run recorded
    runs = pw.IntegerField(default=0)  # how many times a worker started it (resumes included)

    class Meta:
        table_name = "job"
        indexes = ((("organization_id", "kind", "created_at"), False),)

    @classmethod
    def for_org(cls, org_id: int):
        return cls.select().where(cls.organization_id == org_id)

    @classmethod
    def get_for_org(cls, org_id: int, pk: int, kind: str | tuple[str, ...] | None = None):
        """The job with this id in this organization (and of this kind), or DoesNotExist (404)."""
        condition = (cls.id == pk) & (cls.organization_id == org_id)
        if kind is not None:
            condition &= cls.kind.in_([kind] if isinstance(kind, str) else list(kind))
        return cls.get(condition)

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
    def quiet(self) -> bool:
        """Running, yet no progress for a while: its worker has most likely died; the work
        engine's lease runs out and the job resumes (shown to the operator, nothing more)."""
        if self.state != "running":
            return False
        last_sign = self.heartbeat_at or self.started_at or self.created_at
        return last_sign < utcnow() - QUIET_AFTER


QUIET_AFTER = dt.timedelta(seconds=60)  # a run records progress every few seconds
