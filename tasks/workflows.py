"""Workflows' background work: moving runs on (each run a work item, waits as delayed items), the
segment scans that find contacts who entered a segment, and the receivers that start runs."""

from huey import crontab

import webapp.workflows.receivers  # noqa: F401  (connects the workflow receivers to the domain signals)
from tasks import huey
from webapp import work
from webapp.workflows import runs, triggers


@work.handles(runs.STEP)
def advance_workflow_run(payload: dict) -> str:
    return runs.advance(payload["run_id"])


@work.handles(triggers.SCAN)
def scan_workflow_segment(payload: dict) -> int:
    return triggers.scan_segment(payload["workflow_id"])


@huey.periodic_task(crontab(minute="*/5"))
def queue_workflow_segment_scans() -> int:
    """Every five minutes: who entered the segment of each active segment-triggered workflow."""
    return triggers.queue_segment_scans()
