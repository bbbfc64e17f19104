"""Console jobs that outlive their worker: claiming, heartbeats, and the sweep for stalled jobs.

A worker claims a queued job (`claim`), then saves its progress with `checkpoint` in the same
transaction as the work that progress counts: an import batch, one registrant of a bulk action
(an export only reads, so a resumed one simply starts over).
So after a crash the saved progress says exactly what was done, and a resumed run carries on
from there without doing anything twice (a resent ticket is not sent again). Every checkpoint is
a heartbeat. A running job without one for STALL_AFTER is stalled: `recover_stalled` (a periodic
task) queues it again, or marks it failed with the reason when it cannot resume safely. The run
that a resume replaced finds on its next checkpoint that the job is no longer its own (`runs`
moved on) and stops, its last step rolled back.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from peewee import fn

from webapp import work
from webapp.accounts.models import User
from webapp.console.models import STALL_AFTER, ConsoleJob
from webapp.db import db, utcnow
from webapp.events.models import Event

log = logging.getLogger("rollcall.console")

MAX_RUNS = 4  # the first run and three resumes: a job that kills its worker every time must stop
SLICE_SECONDS = 3.0  # a job's work before it gives way to more urgent work (it carries on from its checkpoint)
RUN = {"import": "console.run_import_job", "bulk": "console.run_bulk_job", "export": "console.run_export_job"}


# Per kind of job, what else must hold for a stalled job to resume: a function of the job giving
# the reason it cannot, or None. Registered by the package that runs that kind of job.
RESUME_CHECKS: dict[str, Callable[[ConsoleJob], str | None]] = {}


class JobLost(Exception):
    """This run no longer owns the job (it was found stalled and queued again): stop, write nothing."""


def claim(job_id: int) -> ConsoleJob | None:
    """Take a queued job for this worker: it becomes running, with a heartbeat. None when another
    worker took it first or it is not queued (a task delivered twice runs once)."""
    now = utcnow()
    claimed = (
        ConsoleJob.update(
            state="running",
            started_at=fn.COALESCE(ConsoleJob.started_at, now),
            heartbeat_at=now,
            runs=ConsoleJob.runs + 1,
        )
        .where((ConsoleJob.id == job_id) & (ConsoleJob.state == "queued"))
        .execute()
    )
    return ConsoleJob.get_by_id(job_id) if claimed else None


def _owned(job: ConsoleJob):
    return (ConsoleJob.id == job.id) & (ConsoleJob.state == "running") & (ConsoleJob.runs == job.runs)


def checkpoint(job: ConsoleJob, **values) -> None:
    """Save progress (field values or expressions such as ConsoleJob.updated_rows + 1) and the
    heartbeat. Raises JobLost when this run no longer owns the job: inside a transaction, the
    work it would have counted rolls back with it."""
    if not ConsoleJob.update(heartbeat_at=utcnow(), **values).where(_owned(job)).execute():
        raise JobLost(job.id)


def finish(job: ConsoleJob, **values) -> None:
    """The job is done (with these last values)."""
    checkpoint(job, state="done", finished_at=utcnow(), **values)


class Slice:
    """A run's share of time: once over, the job pauses at its next checkpoint."""

    def __init__(self, seconds: float | None = None):
        self.ends = time.monotonic() + (SLICE_SECONDS if seconds is None else seconds)

    def over(self) -> bool:
        return time.monotonic() >= self.ends


def pause(job: ConsoleJob) -> None:
    """This run gives way after its slice: the job is queued again at its checkpoint, and the
    pause does not count as one of its runs (only a worker that died does)."""
    if (
        not ConsoleJob.update(state="queued", runs=ConsoleJob.runs - 1, heartbeat_at=utcnow())
        .where(_owned(job))
        .execute()
    ):
        raise JobLost(job.id)


def run(job_id: int, body: Callable[[ConsoleJob, Slice], object], what: str) -> object:
    """One run of a job: claim it (only a queued job runs, so a duplicate run does nothing), then
    `body(job, slice)`, which returns work.AGAIN when it paused after its slice. What it sets off
    (emails, signals, contact sync) is bulk work. A run that lost
    the job stops quietly; any other error fails the job with the reason."""
    job = claim(job_id)
    if job is None:  # already taken by another worker, or finished
        return None
    try:
        with work.bulk():  # nobody waits at a screen for any one of its rows
            return body(job, Slice())
    except JobLost:
        log.warning("%s job %s was resumed by another worker; this run stops", what, job.id)
    except Exception as exc:
        log.exception("%s job %s failed", what, job.id)
        fail(job, str(exc))
    return None


def fail(job: ConsoleJob, error: str) -> None:
    """The job itself broke; a run that lost the job leaves it to its new owner."""
    ConsoleJob.update(state="failed", error=error[:2000], finished_at=utcnow()).where(_owned(job)).execute()


# -- the sweep ---------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    resumed: int = 0
    failed: int = 0
    requeued: int = 0  # queued jobs whose task was handed to the queue again


def recover_stalled(now: dt.datetime | None = None) -> SweepResult:
    """Queue again each stalled running job that can resume; fail the others with the reason.
    Also hand queued jobs that waited STALL_AFTER to the queue again (their task may be lost:
    a duplicate is harmless, since only a queued job can be claimed)."""
    now = now or utcnow()
    cutoff = now - STALL_AFTER
    result = SweepResult()
    last_sign = fn.COALESCE(ConsoleJob.heartbeat_at, ConsoleJob.started_at, ConsoleJob.created_at)
    # Read before acting: in immediate mode (tests) a resumed job runs inside the loop.
    stalled = list(ConsoleJob.select().where((ConsoleJob.state == "running") & (last_sign < cutoff)))
    for job in stalled:
        reason = _why_not_resumable(job)
        with db.atomic():
            # Only if it is still the same stalled run: a heartbeat since, and it is left alone.
            still = _owned(job) & (last_sign < cutoff)
            if reason:
                if ConsoleJob.update(state="failed", error=reason, finished_at=now).where(still).execute():
                    result.failed += 1
                    log.warning("console job %s stalled and cannot resume: %s", job.id, reason)
            else:
                changed = ConsoleJob.update(state="queued", heartbeat_at=now).where(still).execute()
                if changed:
                    enqueue(job)
                    result.resumed += 1
                    log.warning("console job %s stalled after %s of %s; resuming it", job.id, job.processed, job.total)
    waiting = list(
        ConsoleJob.select().where(
            (ConsoleJob.state == "queued") & (fn.COALESCE(ConsoleJob.heartbeat_at, ConsoleJob.created_at) < cutoff)
        )
    )
    for job in waiting:
        with db.atomic():
            if (
                ConsoleJob.update(heartbeat_at=now)
                .where((ConsoleJob.id == job.id) & (ConsoleJob.state == "queued"))
                .execute()
            ):
                enqueue(job)
                result.requeued += 1
    return result


def _why_not_resumable(job: ConsoleJob) -> str | None:
    """Why this stalled job must not run again, in words for the operator; None if it may."""
    if job.heartbeat_at is None:
        return (
            "Its worker stopped, and it was started by an earlier version of Rollcall that did not record "
            "its progress step by step, so it cannot resume safely. Check the registrants and start again "
            "what is missing."
        )
    if job.runs >= MAX_RUNS:
        return (
            f"Its worker stopped {job.runs} times before it finished (after {job.processed:,} of "
            f"{job.total:,}), so it is not tried again. What was done is kept; start again what is missing."
        )
    check = RESUME_CHECKS.get(job.kind)
    return check(job) if check is not None else None


def queue(org_id: int, event: Event, kind: str, params: dict, *, user: User | None, total: int = 0) -> ConsoleJob:
    """A new job, handed to its task once the surrounding transaction commits."""
    job = ConsoleJob.create(
        organization=org_id, event=event, user=user, kind=kind, state="queued", total=total, params=params
    )
    enqueue(job)
    return job


def enqueue(job: ConsoleJob) -> None:
    """Record the job's work (bulk priority) in the surrounding transaction."""
    work.record(RUN[job.kind], {"job_id": job.id}, priority=work.BULK)
