"""Check-in tasks: bulk badge PDFs."""

from __future__ import annotations

from tasks import huey
from tasks.base import with_app


@huey.task()
@with_app
def build_badges(job_id: int) -> str:
    from webapp.tickets import badges

    return badges.build_bulk(job_id).status
