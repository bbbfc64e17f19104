"""Delivering the signal outbox (webapp/outbox.py) to the receivers."""

from __future__ import annotations

import time

from huey import crontab

from tasks import huey
from tasks.base import with_db


@huey.task()
@with_db
def deliver_signals(not_before: float | None = None) -> int:
    """Deliver pending signals. The last pass starts no earlier than `not_before`, so the commits
    that relied on this delivery while it was asked for (webapp.outbox.kick) are all seen."""
    from webapp import outbox

    delivered = outbox.deliver_pending()
    wait = (not_before or 0) - time.time()
    if wait > 0:
        time.sleep(min(wait, outbox.DEBOUNCE))
        delivered += outbox.deliver_pending()
    if outbox.more_pending():  # the time budget ran out: hand over to a fresh run
        deliver_signals()
    return delivered


@huey.periodic_task(crontab(minute="*"))
@with_db
def sweep_signal_outbox() -> int:
    """Every minute: deliver what a lost delivery or a worker that died left behind."""
    from webapp import outbox

    return outbox.deliver_pending()
