"""Running the work engine (webapp/work) under Huey.

After a commit that recorded work, the process wakes a worker: it enqueues `run_work` (urgent
work first: Huey's queue is ordered by priority on SQLite and on Redis). Wake-ups are coalesced
per process: while one asked for less than DEBOUNCE seconds ago has not made its last pass,
another commit asks for none. That is safe because every run makes a last pass no earlier than
DEBOUNCE after it was asked for, so an item committed inside the window is seen by it. A
per-minute run picks up retries whose time has come and items whose worker died (their lease
lapses)."""

from __future__ import annotations

import logging
import threading
import time

from huey import crontab

from tasks import huey
from webapp import work
from webapp.work import jobs

log = logging.getLogger("rollcall.work")

DEBOUNCE = 0.2  # seconds during which further commits of a process share one wake-up
HUEY_PRIORITY = {work.URGENT: 100, work.BULK: 0}


@huey.task(priority=HUEY_PRIORITY[work.URGENT])
def run_urgent_work(not_before: float | None = None) -> int:
    return _run(work.URGENT, not_before)


@huey.task(priority=HUEY_PRIORITY[work.BULK])
def run_work(not_before: float | None = None) -> int:
    return _run(None, not_before)


def _run(min_priority: int | None, not_before: float | None) -> int:
    handled = work.run_ready(min_priority=min_priority)
    wait = (not_before or 0) - time.time()
    if wait > 0:
        time.sleep(min(wait, DEBOUNCE))
        handled += work.run_ready(min_priority=min_priority)
    if not huey.immediate and work.more_ready(min_priority):  # budget spent: hand over to a fresh run
        (run_urgent_work if min_priority is not None else run_work)()
    return handled


@work.handles(jobs.RUN, alone=True)  # a campaign's parts run side by side on other threads and nodes
def run_job(payload: dict) -> object:
    """One slice of a long operator job (webapp.work.jobs): its body is registered by its domain."""
    return jobs.run(payload["job_id"])


@huey.periodic_task(crontab(minute="*"))
def sweep_work() -> int:
    """Every minute: retries whose time has come, items of a worker that died, a lost wake-up."""
    return work.run_ready()


_lock = threading.Lock()
_asked_until: dict[int, float] = {}


def wake(priority: int) -> None:
    if huey.immediate:  # tests: run now, in this thread
        work.run_ready()
        return
    now = time.time()
    with _lock:
        if now < _asked_until.get(priority, 0.0):
            return
        _asked_until[priority] = now + DEBOUNCE
    try:
        if priority >= work.URGENT:
            run_urgent_work(not_before=now + DEBOUNCE)
        else:
            run_work(not_before=now + DEBOUNCE)
    except Exception:
        with _lock:
            _asked_until[priority] = 0.0
        raise


work.set_waker(wake)
