"""Payment work: attempts that follow their order, gateways asked about quiet attempts."""

from __future__ import annotations

from huey import crontab

from tasks import huey
from webapp import work
from webapp.payments import receivers, service


@huey.periodic_task(crontab(minute="*/5"))
def refresh_stale_payments() -> int:
    """Every 5 minutes: open Midtrans/Stripe attempts quiet for 10 minutes are checked at the gateway."""
    return service.refresh_stale_payments()


@work.handles(receivers.SETTLE_OFFLINE_ATTEMPTS)
def settle_offline_attempts(payload: dict) -> int:
    """Bank/test attempts follow their order once it is paid or ends."""
    return service.settle_offline_attempts(payload["order_id"])


@huey.periodic_task(crontab(hour="3", minute="17"))
def prune_notifications() -> int:
    """Daily: the notification log keeps 180 days."""
    return service.prune_notifications()
