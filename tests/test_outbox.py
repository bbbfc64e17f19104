"""The signal outbox: signals commit with the change they announce and reach receivers after it."""

from __future__ import annotations

import datetime as dt

import pytest

from tasks import huey
from tasks.outbox import deliver_signals, sweep_signal_outbox
from webapp import outbox, signals
from webapp.db import db
from webapp.outbox import OutboxSignal


@pytest.fixture
def heard():
    """What receivers of order_paid saw, in order."""
    seen = []

    def receiver(sender, order_id, **kwargs):
        seen.append(order_id)

    signals.order_paid.connect(receiver)
    yield seen
    signals.order_paid.disconnect(receiver)


@pytest.fixture
def queued(monkeypatch):
    """A real queue instead of immediate mode: returns the pending tasks' names."""
    monkeypatch.setattr(outbox, "_asked_until", 0.0)
    huey.immediate = False
    huey.flush()
    yield lambda: [task.name for task in huey.pending()]
    huey.flush()
    huey.immediate = True


def _run_pending() -> None:
    for task in huey.pending():
        huey.storage.dequeue()
        huey.execute(task)


def test_receivers_hear_a_signal_after_the_commit_and_the_row_is_gone(app, heard):
    with db.atomic():
        signals.emit(signals.order_paid, order_id=7)
        assert heard == [] and OutboxSignal.select().count() == 1
    assert heard == [7]
    assert OutboxSignal.select().count() == 0


def test_a_rolled_back_signal_is_never_heard(app, heard):
    with pytest.raises(RuntimeError):
        with db.atomic():
            signals.emit(signals.order_paid, order_id=8)
            raise RuntimeError
    deliver_signals()
    assert heard == [] and OutboxSignal.select().count() == 0


def test_commits_close_together_share_one_delivery_that_sees_them_all(app, heard, queued):
    for order_id in (1, 2, 3):
        with db.atomic():
            signals.emit(signals.order_paid, order_id=order_id)
    assert queued() == ["deliver_signals"]  # one delivery asked for, not three
    assert heard == []
    _run_pending()
    assert heard == [1, 2, 3]
    assert OutboxSignal.select().count() == 0


def test_one_transaction_asks_for_one_delivery(app, heard, queued):
    with db.atomic():
        signals.emit(signals.order_paid, order_id=1)
        signals.emit(signals.registration_created, order_id=1)
    assert queued() == ["deliver_signals"]


def test_a_failing_receiver_keeps_its_row_for_a_later_attempt(app, heard):
    calls = []

    def broken(sender, order_id, **kwargs):
        calls.append(order_id)
        if len(calls) == 1:
            raise ConnectionError("queue unreachable")

    signals.order_canceled.connect(broken)
    try:
        with db.atomic():
            signals.emit(signals.order_canceled, order_id=5)
            signals.emit(signals.order_paid, order_id=6)
        assert heard == [6]  # the other signal was not held up
        kept = OutboxSignal.get()
        assert (kept.signal, kept.payload, kept.attempts) == ("order-canceled", {"order_id": 5}, 1)

        assert sweep_signal_outbox.call_local() == 0  # still claimed: not tried again at once
        OutboxSignal.update(claimed_at=kept.claimed_at - outbox.CLAIM_TIMEOUT - dt.timedelta(seconds=1)).execute()
        assert sweep_signal_outbox.call_local() == 1
        assert calls == [5, 5]
        assert OutboxSignal.select().count() == 0
    finally:
        signals.order_canceled.disconnect(broken)


def test_a_claim_abandoned_by_a_dead_worker_is_delivered_by_the_sweep(app, heard, queued):
    with db.atomic():
        signals.emit(signals.order_paid, order_id=9)
    assert outbox.claim(10)  # a worker claims the row, then dies
    huey.flush()
    assert sweep_signal_outbox.call_local() == 0
    claimed = OutboxSignal.get()
    OutboxSignal.update(claimed_at=claimed.claimed_at - outbox.CLAIM_TIMEOUT - dt.timedelta(seconds=1)).execute()
    assert sweep_signal_outbox.call_local() == 1
    assert heard == [9]


def test_a_queue_that_cannot_take_the_delivery_loses_nothing(app, heard, queued, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionError("queue down")

    monkeypatch.setattr(huey, "enqueue", refuse)
    with db.atomic():
        signals.emit(signals.order_paid, order_id=4)  # the commit stands
    assert OutboxSignal.select().count() == 1
    monkeypatch.undo()
    assert sweep_signal_outbox.call_local() == 1
    assert heard == [4]
