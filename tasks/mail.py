"""Email tasks: delivery, the retry sweep, notifications and automations."""

from __future__ import annotations

from huey import crontab

from tasks import huey
from tasks.base import with_app


@huey.task(retries=2, retry_delay=30)
@with_app
def deliver_email(message_id: int) -> str:
    from webapp.mail import service

    return service.deliver(message_id)


@huey.task(retries=2, retry_delay=30)
@with_app
def deliver_emails(message_ids: list[int]) -> dict:
    """The emails one transaction queued, over one SMTP connection (ticket PDFs are rendered at
    send time, hence the app context)."""
    from webapp.mail import service

    return service.deliver_many(message_ids)


@huey.periodic_task(crontab(minute="*"))
@with_app
def retry_outbox() -> int:
    """Every minute: deliver due (retried or held) messages, over one connection."""
    from webapp.mail import service

    ids = service.due_messages()
    if ids:
        service.deliver_many(ids)
    return len(ids)


@huey.task()
@with_app
def send_order_emails(order_id: int) -> int:
    """After payment: each admitted registrant's ticket email, and the buyer's payment email."""
    from webapp.mail import notify

    return notify.order_paid(order_id)


@huey.task()
@with_app
def send_checkin_email(checkin_id: int) -> bool:
    from webapp.mail import notify

    return notify.checked_in(checkin_id)


@huey.periodic_task(crontab(minute="*"))
@with_app
def run_automations() -> dict[str, int]:
    """Every minute: the automation emails whose time has come, once per registrant; the summary
    counts those skipped because the contact unsubscribed."""
    from webapp.mail import automations

    return automations.run_due().as_dict()
