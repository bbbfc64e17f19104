"""Console jobs: CSV imports and bulk actions over many registrants; the sweep for stalled ones."""

from __future__ import annotations

from huey import crontab

from tasks import huey
from tasks.base import with_db


@huey.task()
@with_db
def run_import_job(job_id: int) -> None:
    from webapp.console import imports

    imports.run_job(job_id)


@huey.task()
@with_db
def run_bulk_job(job_id: int) -> None:
    from webapp.console import bulk

    bulk.run_job(job_id)


@huey.periodic_task(crontab(minute="*"))
@with_db
def recover_stalled_jobs() -> dict:
    """Every minute: a running job without a heartbeat for a few minutes (its worker died) is
    queued again to resume where it stopped, or failed with the reason when it cannot."""
    from webapp.console import jobs

    return vars(jobs.recover_stalled())


@huey.periodic_task(crontab(hour="3", minute="17"))
@with_db
def forget_old_import_files() -> int:
    """Every night: uploaded CSV files older than a week are deleted."""
    from webapp.console import imports

    return imports.forget_old_files()
