"""Long operator jobs on the work engine: imports, exports, bulk actions, badge and ticket PDFs.

A job is a `Job` row (what the progress bar reads) run by a work item of kind RUN. Each kind's
body is registered by its domain (`body(kind)`); the core knows none of them. One run:

- `run` starts the job (queued -> running, one more run) and calls the body with a `Slice`;
- the body saves its progress with `checkpoint` in the same transaction as the work that progress
  counts (an import batch, one registrant of a bulk action), so after a crash the saved progress
  says exactly what was done; every checkpoint is a heartbeat;
- the body returns `work.AGAIN` when its slice is over: the job is queued again at its checkpoint
  and its work item goes back in line behind anything more urgent; `finish` marks it done;
- a body that raises fails the job with the reason.

A worker that dies mid-job holds its work item's lease: once the lease lapses the item runs again,
the job is found still `running`, and this run resumes from the checkpoint (a run that lost the
job meanwhile finds on its next checkpoint that it is no longer its own and stops, its last step
rolled back). No sweep of its own: stall detection is the engine's lease. After MAX_RUNS starts
that all died, or when the kind says it cannot resume safely, the job fails with the reason.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from peewee import fn

from webapp.db import db, utcnow
from webapp.i18n import _, message_of, stored_from
from webapp.work.engine import AGAIN, bulk, record
from webapp.work.models import BULK, Job

log = logging.getLogger("rollcall.jobs")

RUN = "job.run"  # work: {"job_id"}, bulk
MAX_RUNS = 4  # the first run and three resumes: a job that kills its worker every time must stop
SLICE_SECONDS = 3.0  # a job's work before it gives way to more urgent work

Body = Callable[[Job, "Slice"], object]
ResumeCheck = Callable[[Job], "str | None"]
_bodies: dict[str, Body] = {}
_resume_checks: dict[str, ResumeCheck] = {}


class JobLost(Exception):
    """This run no longer owns the job (a later run took it over): stop, write nothing."""


def body(kind: str, *, resume_check: ResumeCheck | None = None) -> Callable[[Body], Body]:
    """Register the body of jobs of `kind`: `fn(job, slice)`. `resume_check(job)` gives the reason
    a job whose worker died must not resume (in words for the operator), or None."""

    def register(fn_: Body) -> Body:
        if _bodies.get(kind, fn_) is not fn_:
            raise ValueError(f"job kind {kind!r} already has a body")
        _bodies[kind] = fn_
        if resume_check is not None:
            _resume_checks[kind] = resume_check
        return fn_

    return register


# Starting -----------------------------------------------------------------------------------------


def create(
    org_id: int,
    kind: str,
    params: dict,
    *,
    event_id: int | None = None,
    user_id: int | None = None,
    total: int = 0,
    state: str = "queued",
) -> Job:
    """A new job; a queued one gets its work item in the surrounding transaction."""
    job = Job.create(
        organization_id=org_id, event_id=event_id, user_id=user_id, kind=kind, state=state, params=params, total=total
    )
    if state == "queued":
        _enqueue(job)
    return job


def queue(job: Job, **values) -> bool:
    """A job waiting for its operator (mapping) is queued to run, with these last values. False
    when it had left that state already (a form posted twice starts one job)."""
    with db.atomic():
        if not Job.update(state="queued", **values).where((Job.id == job.id) & (Job.state == "mapping")).execute():
            return False
        _enqueue(job)
    return True


def _enqueue(job: Job) -> None:
    record(RUN, {"job_id": job.id}, priority=BULK)


# Running ------------------------------------------------------------------------------------------


class Slice:
    """A run's share of time: once over, the body returns work.AGAIN at its next checkpoint."""

    def __init__(self, seconds: float | None = None):
        self.ends = time.monotonic() + (SLICE_SECONDS if seconds is None else seconds)

    def over(self) -> bool:
        return time.monotonic() >= self.ends


def run(job_id: int) -> object:
    """One run of a job (the handler of RUN). Returns work.AGAIN when the job paused after its
    slice; None when it finished, failed, or is not this run's to do."""
    job = _start(job_id)
    if job is None:  # finished, waiting for its mapping, or gone
        return None
    reason = _why_not(job)
    if reason:
        log.warning("%s job %s cannot resume: %s", job.kind, job.id, reason)
        fail(job, reason)
        return None
    try:
        with bulk():  # nobody waits at a screen for any one of its rows
            outcome = _bodies[job.kind](job, Slice())
        if outcome is AGAIN:
            _pause(job)
            return AGAIN
    except JobLost:
        log.warning("%s job %s was taken over by a later run; this run stops", job.kind, job.id)
    except Exception as exc:
        log.exception("%s job %s failed", job.kind, job.id)
        fail(job, message_of(exc))
    return None


def _start(job_id: int) -> Job | None:
    """Queued or (its worker died) running: running now, one more run, a heartbeat."""
    now = utcnow()
    started = (
        Job.update(state="running", started_at=fn.COALESCE(Job.started_at, now), heartbeat_at=now, runs=Job.runs + 1)
        .where((Job.id == job_id) & Job.state.in_(("queued", "running")))
        .execute()
    )
    return Job.get_by_id(job_id) if started else None


def _why_not(job: Job) -> str | None:
    """Why this run must not go on, in words for the operator; None if it may."""
    if job.kind not in _bodies:
        return _("Rollcall cannot run jobs of kind %(kind)s.", kind=repr(job.kind))
    if job.runs <= 1:
        return None
    if job.runs > MAX_RUNS:
        return _(
            "Its worker stopped %(times)s times before it finished (after %(done)s of %(total)s), so it is "
            "not tried again. What was done is kept; start again what is missing.",
            times=job.runs - 1,
            done=f"{job.processed:,}",
            total=f"{job.total:,}",
        )
    check = _resume_checks.get(job.kind)
    return check(job) if check is not None else None


def _owned(job: Job):
    return (Job.id == job.id) & (Job.state == "running") & (Job.runs == job.runs)


def checkpoint(job: Job, **values) -> None:
    """Save progress (field values, expressions such as Job.updated_rows + 1, `checkpoint=` the
    resume position) and the heartbeat. Raises JobLost when this run no longer owns the job:
    inside a transaction, the work it would have counted rolls back with it."""
    if not Job.update(heartbeat_at=utcnow(), **values).where(_owned(job)).execute():
        raise JobLost(job.id)


def finish(job: Job, **values) -> None:
    """The job is done (with these last values)."""
    checkpoint(job, state="done", finished_at=utcnow(), **values)


def _pause(job: Job) -> None:
    """The run gives way after its slice: queued again at its checkpoint; a pause is not one of
    its runs (only a worker that died is)."""
    if not Job.update(state="queued", runs=Job.runs - 1, heartbeat_at=utcnow()).where(_owned(job)).execute():
        raise JobLost(job.id)


def fail(job: Job, error: str) -> None:
    """The job itself broke; a run that lost the job leaves it to its new owner. An `error` that
    `_` gave keeps its message, so the operator reads it in their language."""
    message = stored_from(error)
    Job.update(state="failed", error=error[:2000], error_i18n=message.to_json(), finished_at=utcnow()).where(
        _owned(job)
    ).execute()
