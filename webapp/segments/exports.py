"""A segment's members as a CSV file, written by a job in slices (webapp.work.jobs): a 100,000
member export is bulk work that gives way to more urgent work between slices, with a progress bar,
then a file the organization's managers download until it is deleted (KEEP_FILES).

Membership is the tree's answer while the file is written. Each batch of members is appended to
the job's part file and flushed before the checkpoint that counts it ({"after_id", "size"}): a run
that resumes after its worker died cuts the part back to the size last counted and carries on
after the last member counted, so no row is written twice. Cells follow the one escaping rule
(webapp.spreadsheet, through the Contact Book's export columns)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from pathlib import Path

from webapp.accounts.models import User
from webapp.contacts import exports as contact_exports
from webapp.contacts.models import Contact
from webapp.db import utcnow
from webapp.i18n import _
from webapp.segments import query
from webapp.segments.models import Segment
from webapp.storage import storage
from webapp.work import AGAIN, jobs
from webapp.work.models import Job

KIND = "segment_export"
BATCH = 1_000
KEEP_HOURS = 24  # exports hold personal data: kept a day, then deleted
KEEP_FILES = dt.timedelta(hours=KEEP_HOURS)
MIMETYPE = "text/csv; charset=utf-8"
RECENT = 200  # exports of an organization looked through for a segment's latest


def export_key(name: str) -> str:
    """The storage key of an export file (webapp/storage.py)."""
    return f"exports/{Path(name).name}"


def export_parts(name: str) -> str:
    """The folder of an export's parts: one object per batch, counted in the checkpoint, so that a
    run resumed on any node carries on after the last batch saved."""
    return f"exports/{Path(name).name}.parts/"


def filename(segment: Segment) -> str:
    slug = "".join(ch if ch.isalnum() else "-" for ch in segment.name.lower()).strip("-")[:40] or "segment"
    return f"segment-{slug}-{utcnow():%Y%m%d-%H%M}.csv"


def start(segment: Segment, *, actor: User | None) -> Job:
    """Queue the export (or give the one of this segment already under way: a double click makes one)."""
    under_way = (
        Job.for_org(segment.organization_id)
        .where((Job.kind == KIND) & Job.state.in_(("queued", "running")))
        .order_by(Job.id.desc())
    )
    for job in under_way:
        if job.params.get("segment_id") == segment.id:
            return job
    params = {"segment_id": segment.id, "path": f"{uuid.uuid4().hex}.csv", "filename": filename(segment)}
    total = query.count(segment.organization_id, segment.tree)
    return jobs.create(segment.organization_id, KIND, params, user_id=actor.id if actor else None, total=total)


def latest(segment: Segment) -> Job | None:
    """The segment's most recent export, if any (among the organization's recent ones)."""
    recent = Job.for_org(segment.organization_id).where(Job.kind == KIND).order_by(Job.id.desc()).limit(RECENT)
    return next((job for job in recent if job.params.get("segment_id") == segment.id), None)


def job_file(job: Job) -> str | None:
    """The storage key of a segment export's finished file, if it is still there."""
    return finished_file(job, KIND)


def finished_file(job: Job, kind: str) -> str | None:
    """The storage key of a finished export job's file of this kind (segments, campaigns), if it
    is still there."""
    name = job.params.get("path")
    if job.kind != kind or job.state != "done" or not name:
        return None
    key = export_key(name)
    return key if storage().exists(key) else None


@jobs.body(KIND)
def _run(job: Job, time_slice: jobs.Slice) -> object:
    segment = Segment.get_or_none(
        (Segment.id == job.params["segment_id"]) & (Segment.organization == job.organization_id)
    )
    if segment is None:
        raise RuntimeError(_("The segment was deleted before its export finished."))
    members = query.members(job.organization_id, segment.tree)

    def first() -> tuple[dict, list[str]]:  # the columns, kept for the runs that follow
        keys = contact_exports.custom_keys(members)
        return {"keys": keys}, contact_exports.header(keys)

    return export_in_parts(
        job,
        time_slice,
        members,
        Contact.id,
        first=first,
        to_rows=lambda batch, done: contact_exports.rows(batch, done["keys"]),
    )


def export_in_parts(job: Job, time_slice: jobs.Slice, select, id_column, *, first, to_rows) -> object:
    """The export jobs' loop (segments, campaigns): `select` in id order, BATCH rows at a time, each
    batch stored as one part and counted in the checkpoint ({"after_id", "chunks", "written"} and
    what `first` adds), the parts joined at the end. `first()` gives the first run's extra
    checkpoint keys and the header line; `to_rows(batch, checkpoint)` the batch's CSV rows."""
    name = job.params["path"]
    done = dict(job.checkpoint or {})
    if "chunks" not in done:  # the first run (or one from before exports were stored in parts)
        storage().delete_prefix(export_parts(name))
        extra, header = first()
        done = {**extra, "after_id": 0, "written": 0, "chunks": append_part(name, 0, [header])}
        jobs.checkpoint(job, checkpoint=done, processed=0)
    while True:
        batch = list(select.where(id_column > done["after_id"]).order_by(id_column).limit(BATCH))
        if batch:
            chunks = append_part(name, done["chunks"], to_rows(batch, done))
            done = {**done, "after_id": batch[-1].id, "chunks": chunks, "written": done["written"] + len(batch)}
            jobs.checkpoint(job, checkpoint=done, processed=done["written"], total=max(job.total, done["written"]))
        if len(batch) < BATCH:
            join_parts(name, done["chunks"])
            jobs.finish(job, processed=done["written"], total=done["written"])
            return None
        if time_slice.over():
            return AGAIN


def append_part(name: str, index: int, rows: list[list[str]]) -> int:
    """Store the rows as part number `index` (a part of a run that died before counting it is
    written over); returns how many parts there are now."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    storage().write(f"{export_parts(name)}{index:06d}.csv", buffer.getvalue().encode("utf-8"))
    return index + 1


def join_parts(name: str, count: int) -> None:
    """The whole file from its parts, stored in one write, then the parts dropped."""
    parts = export_parts(name)
    storage().write(export_key(name), b"".join(storage().read(f"{parts}{index:06d}.csv") for index in range(count)))
    storage().delete_prefix(parts)


def forget_old_files(now: dt.datetime | None = None) -> int:
    """Delete the files of segment exports finished more than KEEP_FILES ago (the job stays as
    history); returns how many lost their file."""
    cutoff = (now or utcnow()) - KEEP_FILES
    removed = 0
    for job in Job.select().where((Job.kind == KIND) & Job.state.in_(("done", "failed")) & (Job.finished_at < cutoff)):
        name = job.params.get("path")
        if name:
            storage().delete(export_key(name))
            storage().delete_prefix(export_parts(name))
            job.params = {**job.params, "path": None}
            job.save(only=[Job.params])
            removed += 1
    return removed
