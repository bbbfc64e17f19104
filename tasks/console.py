"""Console jobs (CSV imports, bulk actions, large exports) register their bodies in their domain
modules, imported here; the sweep for old files."""

from __future__ import annotations

from huey import crontab

from tasks import huey
from webapp.registrants import bulk, export_jobs, imports  # noqa: F401  (their job bodies)


@huey.periodic_task(crontab(minute="17"))
def forget_old_files() -> int:
    """Every hour: uploaded CSV files older than a week and export files older than a day are
    deleted (the jobs stay as history)."""
    return imports.forget_old_files() + export_jobs.forget_old_files()
