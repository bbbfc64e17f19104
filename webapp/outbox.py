"""The signal outbox: how a domain signal travels from its producer to the receivers.

`signals.emit` writes one row here inside the producer's own transaction: the signal commits or
rolls back with the change it announces, costs one INSERT on the connection already open, and
survives a crash between the commit and the hand-over. After the commit the process asks for a
delivery (`kick`); a Huey task then claims pending rows, sends each signal to its receivers (which
enqueue their own tasks) and deletes what was delivered.

Deliveries are coalesced per process: while one that was asked for less than `DEBOUNCE` seconds
ago has not finished its last pass, another commit asks for none. That is safe because every
delivery makes a last pass no earlier than `DEBOUNCE` after it was asked for (tasks.outbox), so a
row committed inside the window is seen by it. A per-minute sweep picks up rows whose delivery
was lost (a worker that died holding a claim lets it lapse after CLAIM_TIMEOUT).

A signal is delivered at least once: receivers only enqueue tasks, and those tasks check whether
their work is already done.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
import time

import peewee as pw

from webapp.db import BaseModel, JSONField, Prepared, Slot, db, is_postgres, on_commit_once, utcnow, write_transaction

log = logging.getLogger("rollcall.outbox")

DEBOUNCE = 0.2  # seconds during which further commits of a process share one delivery
BATCH_SIZE = 200
CLAIM_TIMEOUT = dt.timedelta(minutes=5)  # a claim older than this was abandoned
TIME_BUDGET = 20.0  # seconds one delivery keeps going before it hands over to a new run


class OutboxSignal(BaseModel):
    """A signal emitted by a committed transaction and not yet delivered to its receivers."""

    signal = pw.CharField(max_length=64)
    payload = JSONField()  # the signal's keyword arguments: plain ids
    created_at = pw.DateTimeField(default=utcnow)
    claim = pw.CharField(max_length=16, null=True, index=True)
    claimed_at = pw.DateTimeField(null=True)
    attempts = pw.IntegerField(default=0)

    class Meta:
        table_name = "signal_outbox"


_INSERT = Prepared(
    lambda: OutboxSignal.insert(
        signal=Slot("signal"),
        payload=Slot("payload", OutboxSignal.payload.db_value),
        created_at=Slot("created_at"),
        attempts=0,
    )
)


def record(signal_name: str, payload: dict) -> None:
    """Write the signal into the current transaction; ask for a delivery once it commits."""
    _INSERT.execute(signal=signal_name, payload=payload, created_at=utcnow())
    on_commit_once(kick)


# Asking for deliveries ---------------------------------------------------------------------------

_lock = threading.Lock()
_asked_until = 0.0  # time.time() before which a delivery this process asked for still covers us


def kick() -> None:
    """Ask for a delivery unless one asked for moments ago will still look (see module doc)."""
    global _asked_until
    from tasks import huey
    from tasks.outbox import deliver_signals

    if huey.immediate:  # tests: deliver now, in this thread
        deliver_signals()
        return
    now = time.time()
    with _lock:
        if now < _asked_until:
            return
        _asked_until = now + DEBOUNCE
    try:
        deliver_signals(not_before=now + DEBOUNCE)
    except Exception:
        # The rows are safe in the outbox; the next request or the minute's sweep delivers them.
        with _lock:
            _asked_until = 0.0
        log.exception("could not ask for a signal delivery; the sweep will deliver")


# Delivering --------------------------------------------------------------------------------------


def deliver_pending(time_budget: float = TIME_BUDGET) -> int:
    """Deliver pending signals batch after batch until none is left or the time budget is spent.
    Returns how many were delivered; more_pending() tells whether a follow-up run is needed."""
    started = time.monotonic()
    delivered = 0
    while time.monotonic() - started < time_budget:
        rows = claim(BATCH_SIZE)
        if not rows:
            break
        delivered += deliver(rows)
    return delivered


def more_pending() -> bool:
    return OutboxSignal.select().where(_claimable(utcnow())).exists()


def _claimable(now: dt.datetime):
    return OutboxSignal.claim.is_null() | (OutboxSignal.claimed_at < now - CLAIM_TIMEOUT)


def claim(limit: int) -> list[OutboxSignal]:
    """Mark up to `limit` unclaimed (or abandoned) rows as ours and return them, oldest first."""
    token = secrets.token_hex(8)
    now = utcnow()
    candidates = OutboxSignal.select(OutboxSignal.id).where(_claimable(now)).order_by(OutboxSignal.id).limit(limit)
    if is_postgres():
        candidates = candidates.for_update("FOR UPDATE SKIP LOCKED")
    with write_transaction():
        ids = [row.id for row in candidates]
        if not ids:
            return []
        OutboxSignal.update(claim=token, claimed_at=now, attempts=OutboxSignal.attempts + 1).where(
            OutboxSignal.id.in_(ids)
        ).execute()
    return list(OutboxSignal.select().where(OutboxSignal.claim == token).order_by(OutboxSignal.id))


def deliver(rows: list[OutboxSignal]) -> int:
    """Send each claimed row's signal; delete the delivered rows. A row whose receivers fail stays
    claimed and is tried again when its claim lapses."""
    from webapp import signals

    done = []
    for row in rows:
        signal = signals.by_name(row.signal)
        if signal is None:
            log.error("outbox row %s names an unknown signal %r; dropped", row.id, row.signal)
            done.append(row.id)
            continue
        try:
            signal.send(None, **row.payload)
        except Exception:
            log.exception(
                "delivering %s %s failed (attempt %s); tried again later", row.signal, row.payload, row.attempts
            )
            continue
        done.append(row.id)
    if done:
        with db.atomic():
            OutboxSignal.delete().where(OutboxSignal.id.in_(done)).execute()
    return len(done)
