"""Console jobs: CSV imports, bulk actions and large exports; the sweeps for stalled jobs and old files."""

from __future__ import annotations

from huey import crontab

from tasks import huey
from tasks.base import with_db


@huey.task()
@with_db
def run_import_job(job_id: int) -> None:
    from webapp.registrants import imports

    imports.run_job(job_id)


@huey.task()
@with_db
def run_bulk_job(job_id: int) -> None:
    from webapp.registrants import bulk

    bulk.run_job(job_id)


@huey.task()
@with_db
def run_export_job(job_id: int) -> None:
    from webapp.registrants import export_jobs

    export_jobs.run_job(job_id)


@huey.periodic_task(crontab(minute="*"))
@with_db
def recover_stalled_jobs() -> dict:
    """Every minute: a running job without a heartbeat for a few minutes (its worker died) is
    queued again to resume where it stopped, or failed with the reason when it cannot."""
    from webapp.console import jobs

    return vars(jobs.recover_stalled())


@huey.periodic_task(crontab(minute="17"))
@with_db
def forget_old_files() -> int:
    """Every hour: uploaded CSV files older than a week and export files older than a day are
    deleted (the jobs stay as history)."""
    from webapp.registrants import export_jobs, imports

    return imports.forget_old_files() + export_jobs.forget_old_files()
