"""writer_turn: SQLite writers queue for the write lock instead of polling in the busy handler."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from webapp.accounts.models import Organization
from webapp.db import db, is_postgres, writer_turn


@pytest.fixture
def sqlite_only(app):
    if is_postgres():
        pytest.skip("writer_turn only queues SQLite writers")


def _write_in_turn(app, name: str, events: list, hold: float = 0.0) -> None:
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            with writer_turn(), db.atomic():
                events.append(("in", name))
                Organization.create(name=name, slug=name)
                time.sleep(hold)
                events.append(("out", name))
        finally:
            db.close()


def test_writers_of_one_process_take_turns(app, sqlite_only):
    events: list = []
    first = threading.Thread(target=_write_in_turn, args=(app, "first", events, 0.3))
    first.start()
    while not events:
        time.sleep(0.01)
    second = threading.Thread(target=_write_in_turn, args=(app, "second", events))
    second.start()
    first.join(10)
    second.join(10)
    assert events == [("in", "first"), ("out", "first"), ("in", "second"), ("out", "second")]
    assert Organization.select().count() == 2


def test_a_writer_waits_for_another_process_holding_the_turn(app, sqlite_only):
    path = f"{db.obj.database}-writers"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"fd = os.open({path!r}, os.O_RDWR | os.O_CREAT, 0o600)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "time.sleep(0.5)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with writer_turn(), db.atomic():
            waited = time.monotonic() - started
            Organization.create(name="After", slug="after")
    finally:
        holder.wait(10)
    assert waited >= 0.3


def test_inside_a_transaction_the_turn_is_not_taken_again(app, sqlite_only):
    # The transaction holds SQLite's write lock already. Another writer may hold the turn while it
    # waits for that lock: queueing behind it would only deadlock.
    events: list = []
    with db.atomic():
        Organization.create(name="Outer", slug="outer")
        other = threading.Thread(target=_write_in_turn, args=(app, "other", events))
        other.start()
        time.sleep(0.2)  # the other writer holds the turn and waits for the write lock
        started = time.monotonic()
        with writer_turn(), db.atomic():
            Organization.create(name="Inner", slug="inner")
        assert time.monotonic() - started < 1
        assert events == []
    other.join(10)
    assert events == [("in", "other"), ("out", "other")]
    assert Organization.select().count() == 3


def test_work_started_after_the_commit_inside_a_turn_does_not_wait_for_that_turn(app, sqlite_only):
    """An after-commit callback runs while its transaction's turn is still held; a writer it
    starts (a task run at once, say) must not queue behind the very turn it runs in."""

    done = []

    def follow_up():
        with writer_turn(), db.atomic():
            Organization.create(name="after", slug="after")
        done.append(True)

    worker = threading.Thread(target=lambda: _in_turn_with_callback(app, follow_up))
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "the follow-up waited for its own turn"
    assert done == [True]
    assert Organization.select().where(Organization.slug.in_(["first", "after"])).count() == 2


def _in_turn_with_callback(app, callback) -> None:
    from webapp.db import on_commit

    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            with writer_turn(), db.atomic():
                Organization.create(name="first", slug="first")
                on_commit(callback)
        finally:
            db.close()
