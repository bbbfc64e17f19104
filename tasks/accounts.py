"""Periodic upkeep of accounts."""

from huey import crontab

from tasks import huey
from webapp.accounts import service


@huey.periodic_task(crontab(minute="41", hour="3"))
def prune_sign_in_records() -> int:
    """Daily: old sign-in attempts, reset requests and long-expired reset links go."""
    return service.prune_sign_in_records()
