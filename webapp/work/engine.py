"""The one work engine: everything that happens later goes through here.

A producer calls `record(kind, payload)` inside the transaction that needs the work: the work item
commits or rolls back with the change that asked for it. After the commit the process wakes a
worker (`set_waker`: the task layer hands it a function that enqueues the Huey task running
`run_ready`). A worker claims ready items under a lease, highest priority first, and runs each
kind's handler (`handles`, registered by the task layer):

- the handler returns: the item is done and deleted;
- it returns `AGAIN`: bounded work that has more to do (a job's next slice, its checkpoint saved
  by the handler) goes back in line, behind anything more urgent; `LATER`: the same, and what is
  left is bulk work (a registration's own contact is synced at once, an import's thousands later);
- it raises: the item is retried with backoff, and dead-lettered with the reason after
  `max_attempts` failures (`Permanent` dead-letters at once);
- its worker dies: the lease lapses and another worker runs it again. Handlers are idempotent.

Claims take `FOR UPDATE SKIP LOCKED` on PostgreSQL (workers never wait on each other's rows) and
the write lock on SQLite.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import peewee as pw

import config
from webapp import observability
from webapp.db import Prepared, Slot, db, is_postgres, on_commit_once, utcnow, write_transaction
from webapp.work.models import BULK, URGENT, WorkItem

log = logging.getLogger("rollcall.work")

# A worker holding an item longer than this is taken for dead (ROLLCALL_WORK_LEASE_SECONDS, 5 min).
LEASE = dt.timedelta(seconds=config.work_lease_seconds())
BATCH = 20  # items claimed at once (one write transaction); all of one priority
TIME_BUDGET = 10.0  # seconds one run keeps claiming before it hands over to a fresh run
AGAIN = object()  # a handler's answer: "more to do, run me again after what is more urgent"
LATER = object()  # a handler's answer: "the urgent part is done; the rest is bulk work"

_priority: contextvars.ContextVar[int] = contextvars.ContextVar("work_priority", default=URGENT)

Handler = Callable[[dict], object]
_handlers: dict[str, Handler] = {}
_batched: set[str] = set()  # kinds whose handler takes the payloads of a whole claim at once
_single: set[str] = set()  # kinds run by one thread at a time per process (see handles)
_alone: set[str] = set()  # kinds a thread claims one item of at a time (see handles)
_busy: set[str] = set()  # those of them a thread of this process is running now
_busy_lock = threading.Lock()
_waker: Callable[[int], None] | None = None
_stopping: Callable[[], bool] = lambda: False  # noqa: E731  (the consumer's stop flag, see stop_with)
_held: set[str] = set()  # the leases this process holds now (given back if it must exit mid-work)
_held_lock = threading.Lock()


class Permanent(Exception):
    """Retrying cannot help: dead-letter the item now, with this reason."""


# Declaring ----------------------------------------------------------------------------------------


def handles(
    kind: str, *, batch: bool = False, single: bool = False, alone: bool = False
) -> Callable[[Handler], Handler]:
    """Register the handler of `kind`; it receives the item's payload (a dict of plain values),
    or with `batch` the list of payloads of the items of that kind claimed together (emails over
    one SMTP connection). A batch succeeds or fails as a whole. With `single`, one thread of a
    process at a time runs the kind, the others leave its items alone meanwhile: for work whose
    second thread would only queue for the same lock (SQLite's writer) or the same CPU. With
    `alone`, a thread claims one item of the kind at a time and leaves the others in line for
    other threads and processes: for long items (a job's slice) that are meant to run side by side."""

    def register(fn: Handler) -> Handler:
        if _handlers.get(kind, fn) is not fn:
            raise ValueError(f"work kind {kind!r} already has a handler")
        _handlers[kind] = fn
        if batch:
            _batched.add(kind)
        if single:
            _single.add(kind)
        if alone:
            _alone.add(kind)
        return fn

    return register


def known_kinds() -> set[str]:
    return set(_handlers)


def set_waker(waker: Callable[[int], None] | None) -> None:
    """`waker(priority)` asks a worker to run `run_ready` soon (the task layer sets it)."""
    global _waker
    _waker = waker


def stop_with(stopping: Callable[[], bool]) -> None:
    """`stopping()` says the process is shutting down (the consumer got SIGTERM): a run finishes
    the item in hand, gives back what it claimed and has not started, and claims nothing more."""
    global _stopping
    _stopping = stopping


def release_held() -> int:
    """Give back the leases this process still holds (its workers were interrupted at exit): the
    items are ready again at once instead of when the lease would lapse. A handler still running
    then can no longer delete or reschedule its item (every write is conditional on the lease);
    handlers are idempotent, so the item simply runs again."""
    with _held_lock:
        leases = sorted(_held)
        _held.clear()
    if not leases:
        return 0
    released = WorkItem.update(lease=None, leased_until=None).where(WorkItem.lease.in_(leases)).execute()
    log.warning("shutting down: gave back %d work item(s) still in hand", released)
    return released


# Recording ----------------------------------------------------------------------------------------


@contextmanager
def bulk() -> Iterator[None]:
    """Work recorded inside (signals too, and what their receivers record) is bulk work: for code
    that does many things nobody waits for one by one (a CSV import, a bulk resend)."""
    token = _priority.set(BULK)
    try:
        yield
    finally:
        _priority.reset(token)


@contextmanager
def at_priority(priority: int) -> Iterator[None]:
    token = _priority.set(priority)
    try:
        yield
    finally:
        _priority.reset(token)


def current_priority() -> int:
    return _priority.get()


_INSERT = Prepared(
    lambda: WorkItem.insert(
        kind=Slot("kind"),
        payload=Slot("payload", WorkItem.payload.db_value),
        priority=Slot("priority"),
        run_after=Slot("run_after"),
        max_attempts=Slot("max_attempts"),
        created_at=Slot("created_at"),
        request_id=Slot("request_id"),
        attempts=0,
    )
)


def record(
    kind: str,
    payload: dict | None = None,
    *,
    priority: int | None = None,
    delay: dt.timedelta | None = None,
    max_attempts: int = 8,
) -> None:
    """Write a work item into the current transaction; a worker is woken once it commits. Its
    priority: as given, else URGENT, or BULK inside `bulk()` (never more urgent than that)."""
    now = utcnow()
    priority = _priority.get() if priority is None else min(priority, _priority.get())
    _INSERT.execute(
        kind=kind,
        payload=payload or {},
        priority=priority,
        run_after=now + delay if delay else now,
        max_attempts=max_attempts,
        created_at=now,
        request_id=observability.request_id.get(),
    )
    on_commit_once(_wake_urgent if priority >= URGENT else _wake_bulk)


def recorded_by_statement(priority: int = URGENT) -> None:
    """A caller's own statement wrote a work item (a hot path that writes it together with the
    change that needs it, in one statement): wake a worker once it commits, as `record` does."""
    on_commit_once(_wake_urgent if priority >= URGENT else _wake_bulk)


def _wake_urgent() -> None:
    _wake(URGENT)


def _wake_bulk() -> None:
    _wake(BULK)


def _wake(priority: int) -> None:
    if _waker is None:
        return  # no worker in this process: the sweep of a running worker finds the item
    try:
        _waker(priority)
    except Exception:
        # The item is safe in its table; a worker's periodic run picks it up.
        log.exception("could not wake a worker; the periodic run will do the work")


# Running ------------------------------------------------------------------------------------------

_running = threading.local()


def run_ready(time_budget: float = TIME_BUDGET, min_priority: int | None = None) -> int:
    """Claim and run ready items, most urgent first, until none is left or the budget is spent.
    Returns how many items were handled. Re-entrant calls (a handler's commit waking a worker in
    immediate mode) return at once: the outer loop sees the new items."""
    if getattr(_running, "active", False):
        _running.more = True
        return 0
    _running.active = True
    handled = 0
    started = time.monotonic()
    try:
        while time.monotonic() - started < time_budget and not _stopping():
            _running.more = False
            with _busy_lock:
                skip = set(_busy)
            items = _one_of_each_alone(_take_single(claim(BATCH, min_priority=min_priority, skip_kinds=skip)))
            if not items:
                if _running.more:
                    continue
                break
            groups = _grouped(items)
            for index, group in enumerate(groups):
                if index and _stopping():  # shutting down: what is not started goes back in line
                    _unclaim([item for rest in groups[index:] for item in rest])
                    _free([rest[0].kind for rest in groups[index:]])
                    break
                if index and group[0].priority < URGENT and _urgent_waiting():
                    _unclaim([item for rest in groups[index:] for item in rest])  # urgent work first
                    _free([rest[0].kind for rest in groups[index:]])
                    break
                try:
                    _run_group(group)
                finally:
                    _free([group[0].kind])
                handled += len(group)
            _let_go(items[0].lease)
    finally:
        _running.active = False
    return handled


def _let_go(lease: str) -> None:
    with _held_lock:
        _held.discard(lease)


def more_ready(min_priority: int | None = None) -> bool:
    """Whether work is ready that this thread could take (not that of a single-thread kind
    another thread of this process is running: that thread carries on with it)."""
    ready = _ready(utcnow(), min_priority)
    with _busy_lock:
        busy = sorted(_busy)
    if busy:
        ready &= WorkItem.kind.not_in(busy)
    return WorkItem.select().where(ready).exists()


def _ready(now: dt.datetime, min_priority: int | None):
    condition = (
        WorkItem.dead_at.is_null()
        & (WorkItem.run_after <= now)
        & (WorkItem.leased_until.is_null() | (WorkItem.leased_until < now))
    )
    if min_priority is not None:
        condition &= WorkItem.priority >= min_priority
    return condition


def _take_single(items: list[WorkItem]) -> list[WorkItem]:
    """Mark the single-thread kinds among these items as this thread's; give back the items of
    those another thread took meanwhile."""
    kinds = {item.kind for item in items} & _single
    if not kinds:
        return items
    with _busy_lock:
        taken = kinds & _busy
        _busy.update(kinds - taken)
    if taken:
        _unclaim([item for item in items if item.kind in taken])
    return [item for item in items if item.kind not in taken]


def _one_of_each_alone(items: list[WorkItem]) -> list[WorkItem]:
    """Of the kinds claimed alone, keep the first item; give the others back to the line."""
    kept, extra, seen = [], [], set()
    for item in items:
        if item.kind in _alone and item.kind in seen:
            extra.append(item)
            continue
        seen.add(item.kind)
        kept.append(item)
    _unclaim(extra)
    return kept


def _free(kinds: list[str]) -> None:
    with _busy_lock:
        _busy.difference_update(set(kinds) & _single)


def _urgent_waiting() -> bool:
    return WorkItem.select().where(_ready(utcnow(), URGENT)).exists()


def _unclaim(items: list[WorkItem]) -> None:
    """Give back items claimed but not started (their place in line unchanged)."""
    if items:
        WorkItem.update(lease=None, leased_until=None).where(
            WorkItem.id.in_([i.id for i in items]) & (WorkItem.lease == items[0].lease)
        ).execute()


def claim(limit: int, *, min_priority: int | None = None, skip_kinds: set[str] | None = None) -> list[WorkItem]:
    """Lease up to `limit` ready items of the highest waiting priority, oldest first. Bulk items are
    run one at a time with a look for urgent work before each (run_ready gives back the rest), so
    whatever turns urgent meanwhile waits at most one bulk item: one slice of a job."""
    now = utcnow()
    token = secrets.token_hex(8)
    ready = _ready(now, min_priority)
    if skip_kinds:  # single-thread kinds another thread of this process is running
        ready &= WorkItem.kind.not_in(sorted(skip_kinds))
    with write_transaction():
        candidates = (
            WorkItem.select(WorkItem.id, WorkItem.priority)
            .where(ready)
            .order_by(WorkItem.priority.desc(), WorkItem.run_after, WorkItem.id)
            .limit(limit)
        )
        if is_postgres():
            candidates = candidates.for_update("FOR UPDATE SKIP LOCKED")
        rows = list(candidates.tuples())
        if not rows:
            return []
        top = rows[0][1]
        ids = [item_id for item_id, priority in rows if priority == top]
        WorkItem.update(lease=token, leased_until=now + LEASE).where(WorkItem.id.in_(ids)).execute()
    with _held_lock:
        _held.add(token)
    return list(WorkItem.select().where(WorkItem.lease == token).order_by(WorkItem.id))


def _grouped(items: list[WorkItem]) -> list[list[WorkItem]]:
    """Items one by one, except those of a batched kind, which go together (in claim order)."""
    groups: list[list[WorkItem]] = []
    by_kind: dict[str, list[WorkItem]] = {}
    for item in items:
        if item.kind in _batched:
            if item.kind not in by_kind:
                by_kind[item.kind] = []
                groups.append(by_kind[item.kind])
            by_kind[item.kind].append(item)
        else:
            groups.append([item])
    return groups


def run_one(item: WorkItem) -> None:
    _run_group([item])


def _run_group(items: list[WorkItem]) -> None:
    """Run a group with the id of the request that recorded it on every log line it writes."""
    token = observability.request_id.set(items[0].request_id or observability.request_id.get())
    try:
        if items[0].request_id:
            log.log(
                observability.work_run_level(),
                "work %s %s runs (recorded by request %s)",
                items[0].kind,
                [i.id for i in items],
                items[0].request_id,
            )
        _run_handler(items)
    finally:
        observability.request_id.reset(token)


def _run_handler(items: list[WorkItem]) -> None:
    kind = items[0].kind
    handler = _handlers.get(kind)
    if handler is None:
        for item in items:
            _dead(item, f"no handler for work of kind {kind!r}")
        return
    try:  # handlers hold their own (short) transactions: never the write lock while they work
        with at_priority(items[0].priority):  # what bulk work sets off is bulk work too
            outcome = handler([i.payload for i in items]) if kind in _batched else handler(items[0].payload)
    except Permanent as exc:
        for item in items:
            _dead(item, str(exc))
        return
    except Exception as exc:
        log.exception("work %s %s failed", kind, [i.id for i in items])
        for item in items:
            _failed(item, exc)
        return
    if outcome is AGAIN or outcome is LATER:
        for item in items:
            _release(item, BULK if outcome is LATER else item.priority)
        return
    WorkItem.delete().where(WorkItem.id.in_([i.id for i in items]) & (WorkItem.lease == items[0].lease)).execute()


def _release(item: WorkItem, priority: int) -> None:
    """Back in line at its place (its age), behind anything more urgent: a bulk job that gives way
    is not overtaken by the bulk work it set off meanwhile, so it still finishes."""
    WorkItem.update(lease=None, leased_until=None, priority=priority).where(
        (WorkItem.id == item.id) & (WorkItem.lease == item.lease)
    ).execute()
    _wake(priority)


def _failed(item: WorkItem, exc: Exception) -> None:
    attempts = item.attempts + 1
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if attempts >= item.max_attempts:
        _dead(item, error, attempts)
        return
    WorkItem.update(
        lease=None, leased_until=None, attempts=attempts, last_error=error, run_after=utcnow() + backoff(attempts)
    ).where((WorkItem.id == item.id) & (WorkItem.lease == item.lease)).execute()


def _dead(item: WorkItem, reason: str, attempts: int | None = None) -> None:
    log.warning("work %s %s dead-lettered: %s", item.kind, item.id, reason)
    WorkItem.update(
        lease=None, leased_until=None, dead_at=utcnow(), last_error=reason[:2000], attempts=attempts or item.attempts
    ).where((WorkItem.id == item.id) & (WorkItem.lease == item.lease)).execute()


def backoff(failures: int) -> dt.timedelta:
    """10 s, 20 s, 40 s ... after the 1st, 2nd, 3rd failure (at most an hour)."""
    return min(dt.timedelta(seconds=10 * 2 ** max(failures - 1, 0)), dt.timedelta(hours=1))


# Looking at the queue -----------------------------------------------------------------------------


LATE_AFTER = 60.0  # seconds: urgent work (a person is waiting) older than this is late


def backlog() -> list[dict]:
    """Per kind: items waiting, the age of the oldest, whether a person waits for it (urgent),
    whether that is late, and dead-lettered items. What the console's background work page shows."""
    now = utcnow()
    rows = (
        WorkItem.select(
            WorkItem.kind,
            pw.fn.COUNT(WorkItem.id).alias("waiting"),
            pw.fn.MIN(WorkItem.run_after).alias("oldest"),
            pw.fn.MAX(WorkItem.priority).alias("priority"),
        )
        .where(WorkItem.dead_at.is_null() & (WorkItem.run_after <= now))
        .group_by(WorkItem.kind)
        .dicts()
    )
    dead = dict(
        WorkItem.select(WorkItem.kind, pw.fn.COUNT(WorkItem.id))
        .where(WorkItem.dead_at.is_null(False))
        .group_by(WorkItem.kind)
        .tuples()
    )
    kinds = {row["kind"]: row for row in rows}
    out = []
    for kind in sorted(set(kinds) | set(dead)):
        row = kinds.get(kind)
        age = (now - row["oldest"]).total_seconds() if row else None
        urgent = bool(row) and row["priority"] >= URGENT
        out.append(
            {
                "kind": kind,
                "waiting": row["waiting"] if row else 0,
                "oldest_age": age,
                "urgent": urgent,
                "late": urgent and age is not None and age > LATE_AFTER,
                "dead": dead.get(kind, 0),
            }
        )
    return out


def dead_items(kinds: Iterable[str] | None = None, limit: int = 100) -> list[WorkItem]:
    query = WorkItem.select().where(WorkItem.dead_at.is_null(False))
    if kinds is not None:
        query = query.where(WorkItem.kind.in_(list(kinds)))
    return list(query.order_by(WorkItem.dead_at.desc()).limit(limit))


def retry_dead(item_id: int) -> bool:
    """An operator asks for a dead-lettered item to run again."""
    with db.atomic():
        changed = (
            WorkItem.update(dead_at=None, attempts=0, run_after=utcnow(), lease=None, leased_until=None)
            .where((WorkItem.id == item_id) & WorkItem.dead_at.is_null(False))
            .execute()
        )
        if changed:
            priority = WorkItem.get_by_id(item_id).priority
            on_commit_once(_wake_urgent if priority >= URGENT else _wake_bulk)
    return bool(changed)
