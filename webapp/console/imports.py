"""CSV import of participants: read the file, map its columns, preview, then import as a job.

The file is checked when it is uploaded (size, encoding, delimiter, header, row count) and kept,
re-encoded as UTF-8, under instance/imports/. The job validates every row, then adds the good
ones in batches, each batch one transaction and each row a savepoint of its own: a bad row is
reported and leaves nothing behind; the good rows go in. Seats are taken through the orders
service, so capacity holds — rows beyond it are reported, never dropped silently.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from webapp.accounts.models import User
from webapp.catalog.models import Product, Question
from webapp.console.exports import safe_cell
from webapp.console.models import ConsoleJob
from webapp.db import db, utcnow, write_transaction
from webapp.events.models import Event
from webapp.orders.models import Registrant
from webapp.runtime import settings

log = logging.getLogger("rollcall.console")

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
PREVIEW_ROWS = 5
BATCH = 250
MAX_REPORTED = 5_000
DUPLICATE_POLICIES = {"skip": "Skip them (keep what is there)", "update": "Update their name and answers"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NAME_HINTS = ("name", "full name", "fullname", "nama", "nama lengkap", "participant", "attendee")
EMAIL_HINTS = ("email", "e-mail", "email address", "mail", "surel")


class ImportFileError(ValueError):
    """The file cannot be imported; the message says why and what to do."""


class MappingError(ValueError):
    """The column mapping is incomplete; `errors` maps form field names to messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass
class Target:
    key: str  # "name", "email" or "q:<question id>"
    label: str
    required: bool
    question: Question | None = None


@dataclass
class ParsedFile:
    text: str
    delimiter: str
    headers: list[str]
    row_count: int
    preview: list[list[str]] = field(default_factory=list)


# -- reading the file ----------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """UTF-8 (with or without the BOM Excel writes), or UTF-16 with its BOM; anything else is
    refused with a message rather than guessed (a wrong guess garbles every accented name)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            f"The file is not UTF-8 text (an unreadable character on line {line}). In Excel choose "
            "“Save as → CSV UTF-8”; in LibreOffice pick “Unicode (UTF-8)” as the character set, then "
            "upload it again."
        ) from None


def _sniff(text: str) -> str:
    sample = text[:20_000]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        return max(",;\t|", key=first.count) if first else ","


def _rows(text: str, delimiter: str):
    """(spreadsheet row number, cells) of the data rows; blank rows are left out."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    next(reader, None)
    for index, cells in enumerate(reader, start=2):
        if any(c.strip() for c in cells):
            yield index, cells


def read_upload(data: bytes) -> ParsedFile:
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            f"The file is too large ({len(data) / 1024 / 1024:.1f} MB); the limit is "
            f"{MAX_BYTES // 1024 // 1024} MB. Split it into smaller files."
        )
    if not data.strip():
        raise ImportFileError("The file is empty.")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(
            "This is not a CSV file (it looks like a spreadsheet or another binary file). Export it as CSV first."
        )
    text = decode(data).replace("\r\n", "\n").replace("\r", "\n")
    delimiter = _sniff(text)
    try:
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
        headers = [h.strip() for h in header]
        if not any(headers):
            raise ImportFileError("The first line must name the columns (for example: name, email).")
        preview, count = [], 0
        for _, cells in _rows(text, delimiter):
            count += 1
            if count <= PREVIEW_ROWS:
                preview.append(cells)
            if count > MAX_ROWS:
                raise ImportFileError(
                    f"The file has more than {MAX_ROWS:,} rows. Split it into files of at most {MAX_ROWS:,} rows."
                )
    except csv.Error as exc:
        raise ImportFileError(f"The file is not valid CSV: {exc}.") from None
    if count == 0:
        raise ImportFileError("The file has a header line but no participants below it.")
    headers = [h or f"Column {i + 1}" for i, h in enumerate(headers)]
    return ParsedFile(text=text, delimiter=delimiter, headers=headers, row_count=count, preview=preview)


# -- mapping ----------------------------------------------------------------------------------------


def targets(event: Event) -> list[Target]:
    """What a column can be imported into: name, email and each registration question."""
    questions = Question.select().where(Question.event == event.id).order_by(Question.position, Question.id)
    out = [Target("name", "Name", True), Target("email", "Email", True)]
    out += [Target(f"q:{q.id}", q.label, q.required, q) for q in questions]
    return out


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def guess_mapping(headers: list[str], event_targets: list[Target]) -> dict[str, int]:
    """{target key: column index} for the columns whose header names a target."""
    normalized = [_norm(h) for h in headers]
    mapping: dict[str, int] = {}
    hints = {"name": NAME_HINTS, "email": EMAIL_HINTS}
    for target in event_targets:
        wanted = {_norm(h) for h in hints.get(target.key, (target.label,))}
        for i, header in enumerate(normalized):
            if header in wanted and i not in mapping.values():
                mapping[target.key] = i
                break
    if "name" not in mapping:  # "First name" + "Last name" is common; take the first as a start
        for i, header in enumerate(normalized):
            if "name" in header and i not in mapping.values():
                mapping["name"] = i
                break
    return mapping


def read_mapping(form, headers: list[str], event_targets: list[Target]) -> dict[str, int]:
    """The mapping chosen in the form (fields `map-<key>` holding a column index, or empty)."""
    mapping, errors = {}, {}
    for target in event_targets:
        raw = (form.get(f"map-{target.key}") or "").strip()
        if raw.isdigit() and int(raw) < len(headers):
            mapping[target.key] = int(raw)
        elif target.key in ("name", "email"):
            errors[f"map-{target.key}"] = f"Choose the column that holds the {target.label.lower()}."
    if errors:
        raise MappingError(errors)
    return mapping


# -- validating rows --------------------------------------------------------------------------------


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index].strip() if index is not None and index < len(cells) else ""


TRUTHY = {"1", "y", "yes", "true", "x", "ya", "✓", "on"}


class RowChecker:
    """Validates data rows against the event's questions (the same form rules as registration),
    building the question form class once for the whole file."""

    def __init__(self, event_targets: list[Target], mapping: dict[str, int]):
        from wtforms import Form

        from webapp.catalog import questions as question_forms

        self.targets = event_targets
        self.mapping = mapping
        self.questions = [t.question for t in event_targets if t.question is not None and t.key in mapping]
        self.form_cls = question_forms.form_class(self.questions, base=Form) if self.questions else None
        self.labels = {question_forms.field_name(q): q.label for q in self.questions}

    def _formdata(self, cells: list[str]):
        from werkzeug.datastructures import MultiDict

        from webapp.catalog.questions import field_name

        data = MultiDict()
        for question in self.questions:
            raw = _cell(cells, self.mapping[f"q:{question.id}"])
            name = field_name(question)
            if question.kind == "checkbox":
                if raw.lower() in TRUTHY:
                    data.add(name, "y")
            elif question.kind == "multichoice":
                for part in re.split(r"[;,|]", raw):
                    if part.strip():
                        data.add(name, part.strip())
            elif raw:
                data.add(name, raw)
        return data

    def check(self, cells: list[str]) -> tuple[dict, list[str]]:
        """({name, email, answers}, errors) for one data row."""
        from webapp.catalog.questions import answers_from_form
        from webapp.contacts.service import normalize_email

        errors = []
        name = " ".join(_cell(cells, self.mapping.get("name")).split())
        email = _cell(cells, self.mapping.get("email"))
        if not name:
            errors.append("the name is empty")
        elif len(name) > 200:
            errors.append("the name is longer than 200 characters")
        if not email:
            errors.append("the email is empty")
        elif len(email) > 254 or not EMAIL.match(email):
            errors.append(f"“{email[:80]}” is not an email address")
        else:
            email = normalize_email(email)
        answers = {}
        if self.form_cls is not None:
            form = self.form_cls(formdata=self._formdata(cells))
            if form.validate():
                answers = answers_from_form(form, self.questions)
            else:
                for field_name, field in form._fields.items():
                    if field.errors:
                        errors.append(f"{self.labels.get(field_name, field_name)}: {' '.join(map(str, field.errors))}")
        return {"name": name, "email": email, "answers": answers}, errors


def preview(job: ConsoleJob, mapping: dict[str, int], event: Event) -> list[dict]:
    """The first rows as they would be imported, with their problems."""
    text = job_file(job).read_text(encoding="utf-8")
    checker = RowChecker(targets(event), mapping)
    out = []
    for number, cells in _rows(text, job.params["delimiter"]):
        person, errors = checker.check(cells)
        out.append({"row": number, "cells": cells, "person": person, "errors": errors})
        if len(out) >= PREVIEW_ROWS:
            break
    return out


# -- the job ----------------------------------------------------------------------------------------


def _imports_dir() -> Path:
    path = settings().instance_dir / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def job_file(job: ConsoleJob) -> Path:
    return _imports_dir() / job.params["path"]


def create_job(org_id: int, event: Event, user: User | None, parsed: ParsedFile, filename: str) -> ConsoleJob:
    """Keep the uploaded file and open an import waiting for its column mapping."""
    name = f"{uuid.uuid4().hex}.csv"
    (_imports_dir() / name).write_text(parsed.text, encoding="utf-8")
    return ConsoleJob.create(
        organization=org_id,
        event=event,
        user=user,
        kind="import",
        state="mapping",
        total=parsed.row_count,
        params={
            "filename": (filename or "upload.csv")[:200],
            "path": name,
            "delimiter": parsed.delimiter,
            "headers": parsed.headers,
            "mapping": guess_mapping(parsed.headers, targets(event)),
        },
    )


def start(
    job: ConsoleJob, *, mapping: dict[str, int], product: Product, duplicates: str, send_ticket: bool, paid: bool
) -> ConsoleJob:
    """Mapping chosen: queue the import."""
    if job.state != "mapping":
        raise ImportFileError("This import has already started.")
    if duplicates not in DUPLICATE_POLICIES:
        raise MappingError({"duplicates": "Choose what to do with people already registered."})
    job.params = {
        **job.params,
        "mapping": mapping,
        "product_id": product.id,
        "duplicates": duplicates,
        "send_ticket": send_ticket,
        "paid": paid,
    }
    job.state = "queued"
    job.save()
    from tasks.base import enqueue_after_commit
    from tasks.console import run_import_job

    enqueue_after_commit(run_import_job, job.id)
    return job


@dataclass
class _Run:
    job: ConsoleJob
    event: Event
    product: Product
    actor: User | None
    checker: RowChecker
    existing: dict[str, int]  # email -> registrant id already in the event
    seen: dict[str, int] = field(default_factory=dict)  # email -> row that brought it in this file
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[dict] = field(default_factory=list)

    def fail(self, row: int, email: str, messages: list[str]) -> None:
        self.failed += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append({"row": row, "email": email, "errors": messages})


def run_job(job_id: int) -> None:
    """The task's body. Safe to call twice: only a queued job runs."""
    claimed = (
        ConsoleJob.update(state="running", started_at=utcnow())
        .where((ConsoleJob.id == job_id) & (ConsoleJob.state == "queued"))
        .execute()
    )
    if not claimed:
        return
    job = ConsoleJob.get_by_id(job_id)
    try:
        _run(job)
    except Exception as exc:
        log.exception("import job %s failed", job.id)
        ConsoleJob.update(state="failed", error=str(exc)[:2000], finished_at=utcnow()).where(
            ConsoleJob.id == job.id
        ).execute()


def _existing(event: Event) -> dict[str, int]:
    rows = Registrant.select(Registrant.id, Registrant.email).where(
        (Registrant.event == event.id) & (Registrant.canceled == False)  # noqa: E712
    )
    return {email.lower(): pk for pk, email in rows.tuples()}


def _run(job: ConsoleJob) -> None:
    event = Event.get_by_id(job.event_id)
    params = job.params
    mapping = {k: int(v) for k, v in params["mapping"].items()}
    run = _Run(
        job=job,
        event=event,
        product=Product.get((Product.id == params["product_id"]) & (Product.event == event.id)),
        actor=User.get_or_none(User.id == job.user_id) if job.user_id else None,
        checker=RowChecker(targets(event), mapping),
        existing=_existing(event),
    )
    rows = list(_rows(job_file(job).read_text(encoding="utf-8"), params["delimiter"]))
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        with write_transaction():
            fresh = [row for row in (_check_row(run, number, cells) for number, cells in batch) if row]
            _add(run, fresh)
            _save_progress(run, processed=start + len(batch))
    _save_progress(run, processed=len(rows), state="done")


def _check_row(run: _Run, number: int, cells: list[str]) -> tuple[int, dict] | None:
    """Validate a row and deal with a known email; (row, person) when it is someone new."""
    person, errors = run.checker.check(cells)
    email = person["email"]
    if errors:
        run.fail(number, email, errors)
        return None
    if email in run.seen:
        run.fail(number, email, [f"the same email as row {run.seen[email]} of this file"])
        return None
    run.seen[email] = number
    if email not in run.existing:
        return number, person
    if run.job.params["duplicates"] == "skip":
        run.skipped += 1
        return None
    _update(run, number, person)
    return None


def _update(run: _Run, number: int, person: dict) -> None:
    from webapp.orders import service as orders

    registrant = Registrant.get_by_id(run.existing[person["email"]])
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
        run.fail(number, person["email"], [str(exc) or type(exc).__name__])
        return
    run.updated += 1


def _add(run: _Run, fresh: list[tuple[int, dict]]) -> None:
    """Add the batch's new people, one order each, as far as seats allow; report the rest."""
    from webapp.orders import service as orders
    from webapp.orders.capacity import availability

    if not fresh:
        return
    left = availability(run.event).get(run.product.id)
    fits = fresh if left is None else fresh[:left]
    for number, person in fresh[len(fits) :]:
        run.fail(number, person["email"], [_no_seat(run)])
    if not fits:
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
            orders.add_participants_each(run.event, run.product, [p for _, p in fits], **options)
    except Exception as exc:
        # Refused as a whole (seats taken meanwhile, a row the service rejects): one row at a
        # time, so that only the rows that cannot go in are reported.
        log.info("import batch refused (%s); retrying row by row", exc)
        for number, person in fits:
            try:
                with db.atomic():
                    orders.add_participants(run.event, run.product, [person], **options)
            except Exception as row_exc:
                message = str(row_exc) or type(row_exc).__name__
                run.fail(number, person["email"], [_no_seat(run) if "seat" in message.lower() else message])
            else:
                run.created += 1
        return
    run.created += len(fits)


def _no_seat(run: _Run) -> str:
    return (
        f"no seat left for “{run.product.name}” (raise its quota or the event's capacity, then import this row again)"
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
        values.update(state=state, finished_at=utcnow())
    ConsoleJob.update(**values).where(ConsoleJob.id == run.job.id).execute()


def error_rows_csv(job: ConsoleJob) -> str:
    """The rows that failed, as they were in the file, with a column saying why: fix and re-import."""
    wanted = {e["row"]: "; ".join(e["errors"]) for e in job.row_errors}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in [*job.params["headers"], "error"]])
    for number, cells in _rows(job_file(job).read_text(encoding="utf-8"), job.params["delimiter"]):
        if number in wanted:
            writer.writerow([safe_cell(c) for c in [*cells, wanted[number]]])
    return out.getvalue()
