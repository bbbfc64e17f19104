"""Segments' background work: the daily count of every segment (its count over time), the CSV
export job (its body registers with the job engine when its module is imported) and the sweep of
old export files."""

from huey import crontab

from tasks import huey
from webapp.segments import exports
from webapp.segments import service as segments


@huey.periodic_task(crontab(minute="5", hour="0"))
def record_segment_counts() -> int:
    """Daily, just after midnight UTC: how many contacts each segment holds."""
    return segments.record_daily_counts()


@huey.periodic_task(crontab(minute="19"))
def forget_old_segment_exports() -> int:
    """Every hour: segment export files older than a day are deleted (the jobs stay as history)."""
    return exports.forget_old_files()
