"""Order housekeeping: expire unpaid orders, pass on lapsed waiting-list offers."""

from __future__ import annotations

from huey import crontab

from tasks import huey
from webapp.orders import service, waitlist


@huey.periodic_task(crontab(minute="*"))
def expire_orders() -> int:
    """Every minute: pending orders past their hold expire and free their seats."""
    return service.expire_due_orders()


@huey.periodic_task(crontab(minute="*"))
def advance_waiting_lists() -> int:
    """Every minute: lapsed offers pass to the next person; seats opened otherwise are offered."""
    return waitlist.lapse_offers() + waitlist.offer_where_seats_opened()
