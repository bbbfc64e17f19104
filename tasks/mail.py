"""Email delivery tasks."""

from __future__ import annotations

from huey import crontab

from tasks import huey
from tasks.base import with_db


@huey.task(retries=2, retry_delay=30)
@with_db
def deliver_email(message_id: int) -> str:
    from webapp.mail import service

    return service.deliver(message_id)


@huey.periodic_task(crontab(minute="*"))
@with_db
def retry_outbox() -> int:
    """Every minute: hand due (retried or held) messages to delivery."""
    from webapp.mail import service

    ids = service.due_messages()
    for message_id in ids:
        deliver_email(message_id)
    return len(ids)
