"""The work engine: work commits with the change that needs it, runs after it, most urgent first;
failures are retried with backoff and dead-lettered with their reason; a dead worker's lease
lapses and its work is done again; signals travel through it to their receivers."""

from __future__ import annotations

import datetime as dt

import pytest

import tasks.work
from tasks import huey
from webapp import signals, work
from webapp.db import db, utcnow
from webapp.work import engine
from webapp.work.models import WorkItem


@pytest.fixture
def ran():
    """Work of the test kinds that ran, in order: (kind, payload value)."""
    seen = []
    names = ("test.ok", "test.flaky", "test.broken", "test.sliced", "test.batch", "test.permanent")
    for name in names:
        engine._handlers.pop(name, None)

    @work.handles("test.ok")
    def ok(payload):
        seen.append(("ok", payload["n"]))

    @work.handles("test.flaky")
    def flaky(payload):
        seen.append(("flaky", payload["n"]))
        if len([s for s in seen if s[0] == "flaky"]) == 1:
            raise ConnectionError("receiver down")

    @work.handles("test.broken")
    def broken(payload):
        raise ConnectionError("always down")

    @work.handles("test.permanent")
    def permanent(payload):
        raise work.Permanent("the ticket was canceled")

    @work.handles("test.sliced")
    def sliced(payload):
        seen.append(("slice", payload["n"]))
        return work.AGAIN if len([s for s in seen if s[0] == "slice"]) < 3 else None

    @work.handles("test.batch", batch=True)
    def batch(payloads):
        seen.append(("batch", [p["n"] for p in payloads]))

    yield seen
    for name in names:
        engine._handlers.pop(name, None)
        engine._batched.discard(name)


@pytest.fixture
def queued(monkeypatch):
    """A real queue instead of immediate mode: returns the names of the Huey tasks waiting."""
    monkeypatch.setattr(tasks.work, "_asked_until", {})
    huey.immediate = False
    huey.flush()
    yield lambda: [task.name for task in huey.pending()]
    huey.flush()
    huey.immediate = True


def _age(item_filter, **delta) -> None:
    WorkItem.update(run_after=utcnow() - dt.timedelta(**delta)).where(item_filter).execute()


def test_work_runs_after_the_commit_and_is_gone(app, ran):
    with db.atomic():
        work.record("test.ok", {"n": 1})
        assert ran == [] and WorkItem.select().count() == 1
    assert ran == [("ok", 1)]
    assert WorkItem.select().count() == 0


def test_rolled_back_work_never_runs(app, ran):
    with pytest.raises(RuntimeError):
        with db.atomic():
            work.record("test.ok", {"n": 2})
            raise RuntimeError
    work.run_ready()
    assert ran == [] and WorkItem.select().count() == 0


def test_a_failure_is_retried_after_a_backoff_and_the_others_are_not_held_up(app, ran):
    with db.atomic():
        work.record("test.flaky", {"n": 3})
        work.record("test.ok", {"n": 4})
    assert ran == [("flaky", 3), ("ok", 4)]
    kept = WorkItem.get()
    assert (kept.kind, kept.attempts, kept.dead_at) == ("test.flaky", 1, None)
    assert "receiver down" in kept.last_error
    assert kept.run_after > utcnow()  # not tried again at once
    assert work.run_ready() == 0
    _age(WorkItem.id == kept.id, seconds=1)
    assert work.run_ready() == 1
    assert ran[-1] == ("flaky", 3) and WorkItem.select().count() == 0


def test_work_that_keeps_failing_is_dead_lettered_with_its_reason(app, ran):
    work.record("test.broken", {"n": 5}, max_attempts=3)
    for _ in range(3):
        _age(WorkItem.dead_at.is_null(), hours=2)
        work.run_ready()
    item = WorkItem.get()
    assert item.dead_at is not None and item.attempts == 3
    assert "always down" in item.last_error
    assert work.backlog() == [
        {"kind": "test.broken", "waiting": 0, "oldest_age": None, "urgent": False, "late": False, "dead": 1}
    ]
    assert work.retry_dead(item.id)  # an operator asks again: it runs (and fails) once more
    assert WorkItem.get().attempts == 1


def test_permanent_failure_is_dead_lettered_at_once(app, ran):
    work.record("test.permanent", {"n": 6})
    item = WorkItem.get()
    assert item.dead_at is not None and item.last_error == "the ticket was canceled"


def test_unknown_work_is_dead_lettered_not_dropped(app):
    work.record("test.nobody", {"n": 7})
    item = WorkItem.get()
    assert item.dead_at is not None and "no handler" in item.last_error


def test_a_lease_of_a_dead_worker_lapses_and_the_work_runs_again_without_counting_a_failure(app, ran, queued):
    work.record("test.ok", {"n": 8})
    assert engine.claim(10)  # a worker claims it, then dies
    assert work.run_ready() == 0  # leased: nobody else takes it
    WorkItem.update(leased_until=utcnow() - dt.timedelta(seconds=1)).execute()
    assert work.run_ready() == 1
    assert ran == [("ok", 8)] and WorkItem.select().count() == 0


def test_urgent_work_runs_before_bulk_work_recorded_earlier(app, ran, queued):
    work.record("test.ok", {"n": 1}, priority=work.BULK)
    work.record("test.ok", {"n": 2}, priority=work.BULK)
    work.record("test.ok", {"n": 3})
    work.run_ready()
    assert ran == [("ok", 3), ("ok", 1), ("ok", 2)]


def test_bulk_work_in_slices_lets_urgent_work_in_between(app, ran, queued):
    work.record("test.sliced", {"n": 0}, priority=work.BULK)
    item = engine.claim(10)
    assert len(item) == 1
    engine.run_one(item[0])  # first slice; more to do
    work.record("test.ok", {"n": 9})  # someone registers meanwhile
    work.run_ready()
    assert ran == [("slice", 0), ("ok", 9), ("slice", 0), ("slice", 0)]
    assert WorkItem.select().count() == 0


def test_a_batched_kind_gets_the_items_claimed_together(app, ran, queued):
    with db.atomic():
        for n in (1, 2, 3):
            work.record("test.batch", {"n": n})
    work.run_ready()
    assert ran == [("batch", [1, 2, 3])]


def test_commits_close_together_share_one_wake_up_that_sees_them_all(app, ran, queued):
    for n in (1, 2, 3):
        with db.atomic():
            work.record("test.ok", {"n": n})
    assert queued() == ["run_urgent_work"]  # one wake-up asked for, not three
    assert ran == []
    for task in huey.pending():
        huey.storage.dequeue()
        huey.execute(task)
    assert ran == [("ok", 1), ("ok", 2), ("ok", 3)]


def test_a_queue_that_cannot_take_the_wake_up_loses_nothing(app, ran, queued, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionError("queue down")

    monkeypatch.setattr(huey, "enqueue", refuse)
    with db.atomic():
        work.record("test.ok", {"n": 4})  # the commit stands
    assert WorkItem.select().count() == 1
    monkeypatch.undo()
    assert tasks.work.sweep_work.call_local() == 1
    assert ran == [("ok", 4)]


@pytest.fixture
def heard():
    seen = []

    def receiver(sender, order_id, **kwargs):
        seen.append(order_id)

    signals.order_paid.connect(receiver)
    yield seen
    signals.order_paid.disconnect(receiver)


def test_receivers_hear_a_signal_after_the_commit(app, heard):
    with db.atomic():
        signals.emit(signals.order_paid, order_id=7)
        assert heard == []
    assert heard == [7]


def test_a_failing_receiver_undoes_the_delivery_and_it_is_tried_again(app, heard):
    calls = []

    def broken(sender, order_id, **kwargs):
        calls.append(order_id)
        if len(calls) == 1:
            raise ConnectionError("unreachable")

    signals.order_canceled.connect(broken)
    try:
        with db.atomic():
            signals.emit(signals.order_canceled, order_id=5)
            signals.emit(signals.order_paid, order_id=6)
        assert heard == [6]  # the other signal was not held up
        kept = WorkItem.get(WorkItem.kind == signals.SIGNAL)
        assert kept.payload == {"signal": "order-canceled", "kwargs": {"order_id": 5}} and kept.attempts == 1
        _age(WorkItem.id == kept.id, seconds=1)
        work.run_ready()
        assert calls == [5, 5]
        assert not WorkItem.select().where(WorkItem.kind == signals.SIGNAL).exists()
    finally:
        signals.order_canceled.disconnect(broken)


def test_later_leaves_the_rest_of_urgent_work_as_bulk_work(app, queued):
    seen = []
    engine._handlers.pop("test.later", None)

    @work.handles("test.later")
    def later(payload):
        seen.append("part")
        return work.LATER if len(seen) == 1 else None

    try:
        work.record("test.later", {})
        work.run_ready(min_priority=work.URGENT)  # an urgent run does the urgent part only
        assert seen == ["part"] and WorkItem.get().priority == work.BULK
        work.run_ready()
        assert seen == ["part", "part"] and WorkItem.select().count() == 0
    finally:
        engine._handlers.pop("test.later", None)


def test_the_backlog_shows_depth_and_age_per_kind_and_flags_late_urgent_work(app, ran, queued):
    work.record("test.ok", {"n": 1})
    work.record("test.ok", {"n": 2})
    work.record("test.sliced", {"n": 3}, priority=work.BULK)
    _age(WorkItem.kind == "test.ok", seconds=90)
    _age(WorkItem.kind == "test.sliced", seconds=600)
    rows = {row["kind"]: row for row in work.backlog()}
    assert rows["test.ok"]["waiting"] == 2 and rows["test.ok"]["late"] is True
    assert rows["test.sliced"]["oldest_age"] >= 600 and rows["test.sliced"]["late"] is False  # bulk is never late


def test_what_bulk_work_announces_and_sets_off_is_bulk_work_too(app, queued):
    from webapp.orders.receivers import SYNC_NEW_REGISTRANTS

    with db.atomic(), work.bulk():  # a CSV import's rows
        signals.emit(signals.registration_created, order_id=123)
    (signal_item,) = engine.claim(5)
    assert signal_item.priority == work.BULK
    engine.run_one(signal_item)  # delivered: its receivers record their work
    assert WorkItem.get(WorkItem.kind == SYNC_NEW_REGISTRANTS).priority == work.BULK

    with db.atomic():  # a person registering
        signals.emit(signals.registration_created, order_id=124)
    (signal_item,) = engine.claim(5)  # the urgent signal, before the bulk sync recorded earlier
    assert signal_item.kind == signals.SIGNAL and signal_item.priority == work.URGENT
    engine.run_one(signal_item)
    urgent = WorkItem.select().where((WorkItem.kind == SYNC_NEW_REGISTRANTS) & (WorkItem.priority == work.URGENT))
    assert urgent.count() == 1
