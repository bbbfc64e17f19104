"""Segments' periodic work: the daily count of every segment (its count over time)."""

from huey import crontab

from tasks import huey
from webapp.segments import service as segments


@huey.periodic_task(crontab(minute="5", hour="0"))
def record_segment_counts() -> int:
    """Daily, just after midnight UTC: how many contacts each segment holds."""
    return segments.record_daily_counts()
