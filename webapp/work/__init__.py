"""The work engine (see engine.py): durable work items, claimed under a lease, retried with
backoff, dead-lettered with their reason. Producers `record` work; the task layer registers each
kind's handler with `handles` and runs `run_ready`."""

from webapp.work.engine import (
    AGAIN,
    LATER,
    Permanent,
    at_priority,
    backlog,
    bulk,
    current_priority,
    dead_items,
    handles,
    known_kinds,
    more_ready,
    record,
    recorded_by_statement,
    release_held,
    retry_dead,
    run_ready,
    set_waker,
    stop_with,
)
from webapp.work.models import BULK, URGENT, Job, WorkItem

__all__ = [
    "AGAIN",
    "LATER",
    "BULK",
    "URGENT",
    "Permanent",
    "Job",
    "WorkItem",
    "at_priority",
    "backlog",
    "bulk",
    "current_priority",
    "dead_items",
    "handles",
    "known_kinds",
    "more_ready",
    "record",
    "recorded_by_statement",
    "release_held",
    "retry_dead",
    "run_ready",
    "set_waker",
    "stop_with",
]
