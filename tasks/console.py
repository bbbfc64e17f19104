"""Console jobs: CSV imports and bulk actions over many registrants."""

from __future__ import annotations

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
