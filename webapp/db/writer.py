"""Serialized writes: where a check and a write must not interleave with another writer's (the
seat check and the order insert, a check-in), and how SQLite writers wait for the one write lock.

`write_transaction()` is the transaction such code runs in; `locked(query)` locks the checked rows
on PostgreSQL; `writer_turn()` queues SQLite writers instead of letting them poll.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import peewee

from webapp.db.connection import db, is_postgres

try:
    import fcntl
except ImportError:  # not on Windows: writers there fall back to SQLite's own waiting
    fcntl = None


@contextmanager
def write_transaction() -> Iterator[None]:
    """A transaction that serializes writers: on SQLite every transaction already begins
    IMMEDIATE (see make_database); on PostgreSQL lock the rows you check with `locked(query)`
    inside it. Nested inside another transaction it is a savepoint of that one."""
    with db.atomic():
        yield


_turn_lock = threading.Lock()
_turn_held = threading.local()  # this thread has the turn (after-commit callbacks run inside it)
_turn_file: tuple[int, str, int] | None = None  # (process id, database path, descriptor)


@contextmanager
def writer_turn() -> Iterator[None]:
    """Wait for SQLite's one write lock in a queue instead of in SQLite's busy handler, which
    sleeps and polls (1, 2, 5, 10 ... 100 ms): under a burst of writers most of their time goes
    to those sleeps, and a writer can lose the race for the lock again and again. Threads of a
    process queue on a lock, processes on an OS lock of a file beside the database; each starts
    the moment the one before it leaves. Wrap a hot write transaction in it (writers that do
    not still get in, through the busy handler). A no-op on PostgreSQL, inside a transaction,
    which holds the write lock already, and for a thread that has the turn already (the
    transaction's after-commit callbacks run inside its turn)."""
    database = db.obj
    if (
        fcntl is None
        or not isinstance(database, peewee.SqliteDatabase)
        or database.database == ":memory:"
        or database.in_transaction()
        or getattr(_turn_held, "yes", False)
    ):
        yield
        return
    with _turn_lock:
        descriptor = _turn_descriptor(database.database)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        _turn_held.yes = True
        try:
            yield
        finally:
            _turn_held.yes = False
            fcntl.flock(descriptor, fcntl.LOCK_UN)


def _turn_descriptor(path: str) -> int:
    """This process's descriptor of the turn file (a forked worker opens its own: a descriptor
    inherited from the parent would share the parent's lock)."""
    global _turn_file
    pid = os.getpid()
    if _turn_file is None or _turn_file[:2] != (pid, path):
        if _turn_file is not None and _turn_file[0] == pid:
            os.close(_turn_file[2])
        _turn_file = (pid, path, os.open(f"{path}-writers", os.O_RDWR | os.O_CREAT, 0o600))
    return _turn_file[2]


def locked(query: peewee.Select) -> peewee.Select:
    """SELECT ... FOR NO KEY UPDATE on PostgreSQL (SQLite's BEGIN IMMEDIATE already serializes).

    It holds off every other transaction that locks, updates or deletes the rows, as FOR UPDATE
    does, but not the foreign-key check of a new row pointing at them (KEY SHARE), which FOR UPDATE
    makes wait. Held rows are often ones many others point at: with FOR UPDATE a door scan's
    check-in row waited for a registration's lock of its event, and for the queue of buyers behind
    it; every new row of an organization waited for a change of its owners. No lock holder relies
    on a new row pointing at its rows waiting for it: a writer that must see such rows locks the
    same row first (rows and their lockers: docs/performance.md, "Every row lock")."""
    if not is_postgres():
        return query
    return query.for_update("FOR NO KEY UPDATE")
