"""The work item: one durable piece of work to do later, written in the transaction that needs it."""

from __future__ import annotations

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

    class Meta:
        table_name = "work_item"
        indexes = ((("dead_at", "priority", "run_after"), False),)
