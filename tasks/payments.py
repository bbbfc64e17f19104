"""Payment housekeeping: ask the gateways about attempts whose notification never came."""

from __future__ import annotations

from huey import crontab

from tasks import huey
from tasks.base import with_db


@huey.periodic_task(crontab(minute="*/5"))
@with_db
def refresh_stale_payments() -> int:
    """Every 5 minutes: open Midtrans/Stripe attempts quiet for 10 minutes are checked at the gateway."""
    from webapp.payments import service

    return service.refresh_stale_payments()


@huey.task(retries=2, retry_delay=30)
@with_db
def settle_offline_attempts(order_id: int) -> int:
    """Bank/test attempts follow their order once it is paid or ends."""
    from webapp.payments import service

    return service.settle_offline_attempts(order_id)


@huey.periodic_task(crontab(hour="3", minute="17"))
@with_db
def prune_notifications() -> int:
    """Daily: the notification log keeps 180 days."""
    from webapp.payments import service

    return service.prune_notifications()
