"""CSV import of participants: read the file, map its columns, preview, then import as a job.

The file is checked when it is uploaded (size, encoding, delimiter, header, row count) and kept,
re-encoded as UTF-8, under instance/imports/. The job validates every row (a bad row is reported
and leaves nothing behind), then works in batches of up to BATCH rows (fewer for a small file, so
its progress moves in steps), each one transaction: one lookup of the batch's people already
registered, and one call to the orders service that claims the seats and adds one order per new
person — rows beyond the seats left are reported, never dropped silently. A batch the database
refuses is retried row by row, so only the rows at fault fail.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import uuid
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from webapp import csvfile, uploads, work
from webapp.accounts.models import User
from webapp.catalog.models import Product
from webapp.db import db, utcnow, write_transaction
from webapp.events.models import Event
from webapp.i18n import _, message_of, stored_from
from webapp.orders import service as orders
from webapp.orders.models import Registrant
from webapp.registrants.mapping import MappingError, RowChecker, guess_mapping, targets
from webapp.spreadsheet import safe_cell
from webapp.storage import storage
from webapp.work import jobs
from webapp.work.models import Job

if TYPE_CHECKING:
    from webapp.orders.service import AddedEach

log = logging.getLogger("rollcall.console")

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
PREVIEW_ROWS = 5
BATCH = 250
PROGRESS_STEPS = 50  # a file is imported in at least this many batches (of at least MIN_BATCH rows)
MIN_BATCH = 5
MAX_REPORTED = 5_000
KEEP_FILES = dt.timedelta(days=7)  # uploaded files are deleted after that (the job stays as history)
KIND = "import"  # the job that imports a file
DUPLICATE_POLICIES = {"skip": "Skip them (keep what is there)", "update": "Update their name and answers"}


class ImportFileError(ValueError):
    """The file cannot be imported; the message says why and what to do."""


@dataclass
class ParsedFile:
    text: str
    delimiter: str
    headers: list[str]
    row_count: int
    preview: list[list[str]] = field(default_factory=list)


# -- reading the file ----------------------------------------------------------------------------


def _rows(text: str, delimiter: str):
    """(spreadsheet row number, cells) of the data rows; blank rows are left out."""
    return csvfile.rows(text, delimiter)


def read_upload(data: bytes) -> ParsedFile:
    try:
        parsed = csvfile.read(data, max_bytes=MAX_BYTES, max_rows=MAX_ROWS, what="participants")
    except csvfile.CSVFileError as exc:
        raise ImportFileError(str(exc)) from None
    preview = [cells for _, cells in islice(_rows(parsed.text, parsed.delimiter), PREVIEW_ROWS)]
    headers = [h or f"Column {i + 1}" for i, h in enumerate(parsed.headers)]
    return ParsedFile(
        text=parsed.text, delimiter=parsed.delimiter, headers=headers, row_count=parsed.row_count, preview=preview
    )


def preview(job: Job, mapping: dict[str, int], event: Event) -> list[dict]:
    """The first rows as they would be imported, with their problems."""
    text = _text(job)
    checker = RowChecker(targets(event), mapping)
    out = []
    for number, cells in _rows(text, job.params["delimiter"]):
        person, errors = checker.check(cells)
        out.append({"row": number, "cells": cells, "person": person, "errors": errors})
        if len(out) >= PREVIEW_ROWS:
            break
    return out


# -- the job ----------------------------------------------------------------------------------------


def job_file(job: Job) -> str:
    """The storage key of the uploaded file (webapp/storage.py)."""
    return f"imports/{Path(job.params['path']).name}"


def _text(job: Job) -> str:
    return storage().read(job_file(job)).decode("utf-8")


def create_job(org_id: int, event: Event, user: User | None, parsed: ParsedFile, filename: str) -> Job:
    """Keep the uploaded file and open an import waiting for its column mapping."""
    name = f"{uuid.uuid4().hex}.csv"
    storage().write(f"imports/{name}", parsed.text.encode("utf-8"))
    return jobs.create(
        org_id,
        KIND,
        event_id=event.id,
        user_id=user.id if user else None,
        state="mapping",
        total=parsed.row_count,
        params={
            "filename": uploads.shown_name(filename, "upload.csv"),
            "path": name,
            "delimiter": parsed.delimiter,
            "headers": parsed.headers,
            "mapping": guess_mapping(parsed.headers, targets(event)),
        },
    )


def start(
    job: Job, *, mapping: dict[str, int], product: Product, duplicates: str, send_ticket: bool, paid: bool
) -> Job:
    """Mapping chosen: queue the import."""
    if job.state != "mapping":
        raise ImportFileError(_("This import has already started."))
    if duplicates not in DUPLICATE_POLICIES:
        raise MappingError({"duplicates": _("Choose what to do with people already registered.")})
    params = {
        **job.params,
        "mapping": mapping,
        "product_id": product.id,
        "duplicates": duplicates,
        "send_ticket": send_ticket,
        "paid": paid,
    }
    if not jobs.queue(job, params=params):
        raise ImportFileError(_("This import has already started."))
    return Job.get_by_id(job.id)


@dataclass
class _Run:
    job: Job
    event: Event
    product: Product
    actor: User | None
    checker: RowChecker
    seen: dict[str, int] = field(default_factory=dict)  # email -> row that brought it in this file
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[dict] = field(default_factory=list)

    def fail(self, row: int, email: str, messages: list[str]) -> None:
        self.failed += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(
                {
                    "row": row,
                    "email": email,
                    "errors": messages,
                    "errors_i18n": [stored_from(message).to_json() for message in messages],
                }
            )


def _why_not_resumable(job: Job) -> str | None:
    if not has_file(job):
        return _("Its worker stopped and the uploaded file is gone, so it cannot resume. Upload the file again.")
    return None


@jobs.body(KIND, resume_check=_why_not_resumable)
def _run(job: Job, time_slice: jobs.Slice) -> object:
    """Import batch after batch; after the slice, pause at the last batch (work.AGAIN: the rest
    runs after what is more urgent). A resumed job (its worker died) carries on after the last
    batch it saved."""
    event = Event.get_by_id(job.event_id)
    params = job.params
    mapping = {k: int(v) for k, v in params["mapping"].items()}
    run = _Run(
        job=job,
        event=event,
        product=Product.get((Product.id == params["product_id"]) & (Product.event == event.id)),
        actor=User.get_or_none(User.id == job.user_id) if job.user_id else None,
        checker=RowChecker(targets(event), mapping),
    )
    rows = list(_rows(_text(job), params["delimiter"]))
    if job.processed:
        _resume(run, rows[: job.processed])
    size = batch_size(len(rows))
    for start in range(job.processed, len(rows), size):
        batch = rows[start : start + size]
        with write_transaction():
            people = [row for row in (_check_row(run, number, cells) for number, cells in batch) if row]
            _add(run, _sort_out_known(run, people))
            _save_progress(run, processed=start + len(batch))
        if time_slice.over() and start + len(batch) < len(rows):
            return work.AGAIN
    _save_progress(run, processed=len(rows), state="done")
    return None


def batch_size(total: int) -> int:
    """Rows per batch: BATCH for a large file; smaller for a small one, so its progress bar moves
    in steps from the start rather than jumping from 0 to 100 %."""
    return min(BATCH, max(MIN_BATCH, -(-total // PROGRESS_STEPS)))


def _resume(run: _Run, done: list[tuple[int, list[str]]]) -> None:
    """Carry on after the rows already imported: their tallies (saved with each batch, in its
    transaction) and the emails they brought in (so a later row repeating one still fails)."""
    job = run.job
    run.created, run.updated, run.skipped = job.created_rows, job.updated_rows, job.skipped_rows
    run.failed, run.errors = job.failed_rows, list(job.row_errors)
    for number, cells in done:
        person, errors = run.checker.check(cells)
        if not errors:
            run.seen.setdefault(person["email"], number)


def _check_row(run: _Run, number: int, cells: list[str]) -> tuple[int, dict] | None:
    """Validate a row; (row, person) unless it is bad or repeats an email of an earlier row."""
    person, errors = run.checker.check(cells)
    email = person["email"]
    if errors:
        run.fail(number, email, errors)
        return None
    if email in run.seen:
        run.fail(number, email, [_("the same email as row %(row)s of this file", row=run.seen[email])])
        return None
    run.seen[email] = number
    return number, person


def _sort_out_known(run: _Run, people: list[tuple[int, dict]]) -> list[tuple[int, dict]]:
    """Skip or update the people already registered for the event (one lookup for the batch,
    inside its transaction, so someone who registered meanwhile counts); the new ones."""
    if not people:
        return []
    emails = [person["email"] for _, person in people]
    known = {
        r.email.lower(): r
        for r in Registrant.select().where(
            (Registrant.event == run.event.id) & (Registrant.canceled == False) & Registrant.email.in_(emails)  # noqa: E712
        )
    }
    fresh = []
    for number, person in people:
        registrant = known.get(person["email"])
        if registrant is None:
            fresh.append((number, person))
        elif run.job.params["duplicates"] == "skip":
            run.skipped += 1
        else:
            _update(run, number, person, registrant)
    return fresh


def _update(run: _Run, number: int, person: dict, registrant: Registrant) -> None:

    try:
        with db.atomic():
            orders.update_registrant(
                registrant,
                name=person["name"],
                email=person["email"],
                answers={**(registrant.answers or {}), **person["answers"]},
                actor=run.actor,
            )
    except Exception as exc:  # the service's refusal, reported for this row only
        run.fail(number, person["email"], [message_of(exc) or type(exc).__name__])
        return
    run.updated += 1


def _add(run: _Run, fresh: list[tuple[int, dict]]) -> None:
    """Add the batch's new people, one order each, as far as seats allow; report the rest."""

    if not fresh:
        return
    params = run.job.params
    options = {
        "source": "import",
        "paid": params.get("paid", True),
        "send_ticket": params.get("send_ticket", False),
        "actor": run.actor,
    }
    try:
        with db.atomic():
            added = orders.add_participants_each(run.event, run.product, [p for _, p in fresh], **options)
    except Exception as exc:
        # The database refused the batch (a value it cannot store, a clash): one row at a time,
        # so that only the rows that cannot go in are reported.
        log.info("import batch refused (%s); retrying row by row", exc)
        for number, person in fresh:
            try:
                with db.atomic():
                    added = orders.add_participants_each(run.event, run.product, [person], **options)
            except Exception as row_exc:
                run.fail(number, person["email"], [message_of(row_exc) or type(row_exc).__name__])
            else:
                _count(run, [(number, person)], added)
        return
    _count(run, fresh, added)


def _count(run: _Run, fresh: list[tuple[int, dict]], added: AddedEach) -> None:
    """Tally what the service did with each of these rows."""
    for index, (number, person) in enumerate(fresh):
        if index in added.order_ids:
            run.created += 1
        elif index in added.refused:
            run.fail(number, person["email"], [added.refused[index]])
        else:
            run.fail(number, person["email"], [_no_seat(run)])


def _no_seat(run: _Run) -> str:
    return _(
        "no seat left for “%(product)s” (raise its quota or the event's capacity, then import this row again)",
        product=run.product.name,
    )


def _save_progress(run: _Run, *, processed: int, state: str | None = None) -> None:
    values = {
        "processed": processed,
        "created_rows": run.created,
        "updated_rows": run.updated,
        "skipped_rows": run.skipped,
        "failed_rows": run.failed,
        "row_errors": run.errors,
    }
    if state:
        jobs.finish(run.job, **values)
    else:
        jobs.checkpoint(run.job, **values)


def error_rows_csv(job: Job) -> str:
    """The rows that failed, as they were in the file, with a column saying why: fix and re-import."""
    wanted = {e["row"]: "; ".join(e["errors"]) for e in job.row_errors}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in [*job.params["headers"], "error"]])
    for number, cells in _rows(_text(job), job.params["delimiter"]):
        if number in wanted:
            writer.writerow([safe_cell(c) for c in [*cells, wanted[number]]])
    return out.getvalue()


def has_file(job: Job) -> bool:
    return bool(job.params.get("path")) and storage().exists(job_file(job))


def forget_old_files(now: dt.datetime | None = None) -> int:
    """Delete the uploaded files of imports older than KEEP_FILES; returns how many went."""
    cutoff = (now or utcnow()) - KEEP_FILES
    removed = 0
    for job in Job.select().where((Job.kind == KIND) & (Job.created_at < cutoff)):
        if job.params.get("path") and job.state != "running":
            storage().delete(job_file(job))
            job.params = {**job.params, "path": None}
            if job.state == "mapping":
                job.state, job.error, job.finished_at = "failed", "Abandoned before its columns were mapped.", utcnow()
            job.save()
            removed += 1
    return removed
