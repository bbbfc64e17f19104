"""Event-tracking ingestion: turn accepted events into contact timeline entries and labels."""

from __future__ import annotations

from huey import crontab

from tasks import huey
from tasks.base import with_db


@huey.task()
@with_db
def process_incoming_events() -> int:
    """Process pending events in batches; hand over to a fresh run when the time budget is spent."""
    from webapp.contacts import ingest

    handled = ingest.process_pending()
    if handled and ingest.more_pending():
        process_incoming_events()
    return handled


@huey.periodic_task(crontab(minute="*"))
@with_db
def sweep_incoming_events() -> int:
    """Every minute: pick up events whose processing was never enqueued or whose worker died."""
    from webapp.contacts import ingest

    return ingest.process_pending()
