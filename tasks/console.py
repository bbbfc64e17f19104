"""Console jobs: CSV imports and bulk actions over many registrants."""

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


@huey.periodic_task(crontab(hour="3", minute="17"))
@with_db
def forget_old_import_files() -> int:
    """Every night: uploaded CSV files older than a week are deleted."""
    from webapp.console import imports

    return imports.forget_old_files()
