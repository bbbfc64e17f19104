"""Large exports as console jobs: the file is written by a worker under instance/exports/, with a
progress bar, then downloaded by the organization's managers until it is deleted (KEEP_FILES).

Measured on a 2-core machine (CPU time per registrant row, answers included): CSV 0.13 ms,
XLSX 0.35 ms. 100,000 registrants are ~12 s (CSV) and ~35 s (XLSX) of CPU, which a web thread
would spend holding the GIL of its worker, slowing every other request that worker serves (door
scans included). So a web request spends at most ~2 s on an export: above DIRECT_LIMIT rows it
runs as a job. Smaller exports stay direct (streamed CSV, XLSX in one go): one click, no wait.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from flask_babel import force_locale
from peewee import JOIN

from webapp.accounts.models import User
from webapp.db import utcnow
from webapp.events.models import Event
from webapp.i18n import _
from webapp.registrants import exports
from webapp.storage import storage
from webapp.work import jobs
from webapp.work.models import Job

DIRECT_LIMIT = {"csv": 15_000, "xlsx": 5_000}  # rows; more run as a job (see above)
KEEP_HOURS = 24  # exports hold personal data: kept a day, then deleted
KEEP_FILES = dt.timedelta(hours=KEEP_HOURS)
HEARTBEAT_ROWS = 1_000
KIND = "export"  # the job that writes a large export
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ExportError(ValueError):
    """The export cannot start; the message is for the operator."""


def runs_as_job(kind: str, fmt: str, org_id: int, event: Event) -> bool:
    return exports.row_count(kind, org_id, event) > DIRECT_LIMIT[fmt]


def filename(event: Event, kind: str, fmt: str) -> str:
    return f"{event.slug}-{kind}-{utcnow():%Y%m%d-%H%M}.{fmt}"


def _key(name: str) -> str:
    """The storage key of an export file (webapp/storage.py)."""
    return f"exports/{Path(name).name}"


def job_file(job: Job) -> str | None:
    """The storage key of an export job's finished file, if it is still there."""
    name = job.params.get("path")
    if job.kind != KIND or job.state != "done" or not name:
        return None
    key = _key(name)
    return key if storage().exists(key) else None


def start(org_id: int, event: Event, kind: str, fmt: str, *, actor: User | None, locale: str = "en") -> Job:
    """Queue the export (or give the same export already under way, so a double click makes one).
    Its column names are written in `locale` (the language of whoever asked for it)."""
    if kind not in exports.KINDS or fmt not in exports.FORMATS:
        raise ExportError(_("Choose what to export and the format."))
    params = {"table": kind, "format": fmt}
    for job in Job.select().where(
        (Job.organization_id == org_id)
        & (Job.event_id == event.id)
        & (Job.kind == KIND)
        & Job.state.in_(("queued", "running"))
    ):
        if {k: job.params.get(k) for k in params} == params:
            return job
    params.update(path=f"{uuid.uuid4().hex}.{fmt}", filename=filename(event, kind, fmt), locale=locale)
    total = exports.row_count(kind, org_id, event)
    return jobs.create(org_id, KIND, params, event_id=event.id, user_id=actor.id if actor else None, total=total)


@jobs.body(KIND)
def _run_job(job: Job, time_slice: jobs.Slice) -> None:
    """The whole export in one run (a file is written in one go). A resumed export (its worker
    died) starts over: it only reads."""
    with tempfile.TemporaryDirectory(prefix="rollcall-export-") as scratch:
        part = Path(scratch) / f"{Path(job.params['path']).name}.part"
        try:
            _run(job, part)
        except jobs.JobLost:
            raise
        except Exception as exc:
            raise RuntimeError(f"The export could not be written: {exc}") from exc


def _run(job: Job, part: Path) -> None:
    event = Event.get_by_id(job.event_id)
    kind, fmt = job.params["table"], job.params["format"]
    total = exports.row_count(kind, job.organization_id, event)
    jobs.checkpoint(job, total=total, processed=0)
    with force_locale(job.params.get("locale") or "en"):
        table = exports.table_for(kind, job.organization_id, event)
        written = [0]
        table.rows = _counting(job, table.rows, written)
        if fmt == "csv":
            with part.open("wb") as out:
                for chunk in exports.csv_chunks(table):
                    out.write(chunk)
        else:
            exports.write_xlsx(table, part)
    # Written to a scratch file first, then stored whole: a run that lost the job meanwhile can
    # only put a complete export of the same table there, never half a file.
    storage().write(_key(job.params["path"]), part.read_bytes())
    jobs.finish(job, processed=written[0], total=max(total, written[0]))


def _counting(job: Job, rows: Iterable[list], written: list[int]) -> Iterator[list]:
    """The rows, with progress and a heartbeat saved every HEARTBEAT_ROWS."""
    for row in rows:
        yield row
        written[0] += 1
        if written[0] % HEARTBEAT_ROWS == 0:
            jobs.checkpoint(job, processed=written[0])


def recent(org_id: int, event: Event, limit: int = 10) -> list[Job]:
    """The event's latest exports, with who started them."""
    return list(
        Job.select(Job, User)
        .join(User, JOIN.LEFT_OUTER, on=(Job.user_id == User.id), attr="user")
        .where((Job.organization_id == org_id) & (Job.event_id == event.id) & (Job.kind == KIND))
        .order_by(Job.id.desc())
        .limit(limit)
    )


def forget_old_files(now: dt.datetime | None = None) -> int:
    """Delete the files of exports finished more than KEEP_FILES ago (the job stays as history);
    returns how many exports lost their file. (A run's scratch file is a temporary folder of its
    own, gone when the run ends.)"""
    cutoff = (now or utcnow()) - KEEP_FILES
    removed = 0
    old = Job.select().where((Job.kind == KIND) & Job.state.in_(("done", "failed")) & (Job.finished_at < cutoff))
    for job in old:
        name = job.params.get("path")
        if not name:
            continue
        storage().delete(_key(name))
        job.params = {**job.params, "path": None}
        job.save(only=[Job.params])
        removed += 1
    return removed
