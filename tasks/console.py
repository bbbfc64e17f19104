"""Console jobs: CSV imports, bulk actions and large exports; the sweeps for stalled jobs and old files."""

from __future__ import annotations

from huey import crontab

from tasks import huey
from webapp import work
from webapp.console import jobs
from webapp.registrants import bulk, export_jobs, imports


@work.handles(jobs.RUN["import"])
def run_import_job(payload: dict) -> object:
    return imports.run_job(payload["job_id"])


@work.handles(jobs.RUN["bulk"])
def run_bulk_job(payload: dict) -> object:
    return bulk.run_job(payload["job_id"])


@work.handles(jobs.RUN["export"])
def run_export_job(payload: dict) -> None:
    export_jobs.run_job(payload["job_id"])


@huey.periodic_task(crontab(minute="*"))
def recover_stalled_jobs() -> dict:
    """Every minute: a running job without a heartbeat for a few minutes (its worker died) is
    queued again to resume where it stopped, or failed with the reason when it cannot."""
    return vars(jobs.recover_stalled())


@huey.periodic_task(crontab(minute="17"))
def forget_old_files() -> int:
    """Every hour: uploaded CSV files older than a week and export files older than a day are
    deleted (the jobs stay as history)."""
    return imports.forget_old_files() + export_jobs.forget_old_files()
