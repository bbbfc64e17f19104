"""CSV import of contacts: upload (decoded and checked at once), column mapping, then a task that
upserts row by row. A bad row is reported with its number and writes nothing; good rows go in."""

from __future__ import annotations

import csv
import io
import logging
import uuid

from webapp import csvfile, uploads, work
from webapp.accounts import audit
from webapp.contacts import rules, service
from webapp.contacts.models import FUNNEL_STAGES, Contact
from webapp.contacts.service import ContactError
from webapp.db import db, write_transaction
from webapp.i18n import _, message_of, stored_from, stored_text
from webapp.runtime import settings
from webapp.storage import storage
from webapp.work import jobs
from webapp.work.models import Job

log = logging.getLogger("rollcall.contacts")

TARGETS = (
    ("", "Ignore"),
    ("email", "Email"),
    ("name", "Name"),
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("phone", "Phone"),
    ("company", "Company"),
    ("labels", "Labels (separated by ; or ,)"),
    ("stage", "Funnel stage"),
    ("custom", "Custom field (named after the column)"),
)
SINGLE_TARGETS = {"email", "name", "first_name", "last_name", "phone", "company", "stage"}
GUESSES = {
    "email": {"email", "e-mail", "email address", "mail", "alamat email"},
    "name": {"name", "full name", "nama", "nama lengkap", "attendee", "contact"},
    "first_name": {"first name", "firstname", "given name", "nama depan"},
    "last_name": {"last name", "lastname", "surname", "family name", "nama belakang"},
    "phone": {"phone", "telephone", "mobile", "phone number", "whatsapp", "wa", "hp", "no hp", "telepon"},
    "company": {"company", "organization", "organisation", "perusahaan", "instansi"},
    "labels": {"labels", "label", "tags", "tag"},
    "stage": {"stage", "funnel stage", "lifecycle stage"},
}
MAX_COLUMNS = 100
MAX_ROWS = 200_000
BATCH = 200
MAX_STORED_ERRORS = 500
KIND = "contacts_import"  # the job that imports a file of contacts
STAGE_NAMES = {**{s: s for s in FUNNEL_STAGES}, **{rules.stage_label(s).lower(): s for s in FUNNEL_STAGES}}


def _reader(text: str, delimiter: str):
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def guess_mapping(headers: list[str]) -> dict[str, str]:
    mapping, used = {}, set()
    for index, header in enumerate(headers):
        key = " ".join(header.replace("_", " ").split()).lower()
        target = next((t for t, names in GUESSES.items() if key in names), "")
        if target and target in SINGLE_TARGETS and target in used:
            target = ""
        used.add(target)
        mapping[str(index)] = target
    return mapping


def start_import(org_id: int, data: bytes, filename: str, *, user=None) -> Job:
    """Check and store an uploaded CSV; the operator maps its columns next."""
    try:
        parsed = csvfile.read(
            data, max_bytes=settings().max_upload_bytes, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS, what="contacts"
        )
    except csvfile.CSVFileError as exc:
        raise ContactError(str(exc), "file") from None
    relative = f"contact_imports/{org_id}/{uuid.uuid4().hex}.csv"  # a storage key (webapp/storage.py)
    storage().write(relative, parsed.text.encode("utf-8"))
    headers = [h or f"Column {i + 1}" for i, h in enumerate(parsed.headers)]
    params = {
        "filename": uploads.shown_name(filename, "contacts.csv"),
        "path": relative,
        "encoding": parsed.encoding,
        "delimiter": parsed.delimiter,
        "headers": headers,
        "mapping": guess_mapping(headers),
        "label_names": [],
    }
    return jobs.create(org_id, KIND, params, user_id=user.id if user else None, state="mapping", total=parsed.row_count)


def preview(job: Job, limit: int = 5) -> list[list[str]]:
    rows = _rows(job)
    next(rows, None)
    out = []
    for _line, row in rows:
        out.append(row)
        if len(out) >= limit:
            break
    return out


def _rows(job: Job):
    """(line number, cells) of every non-blank line, the header first."""
    text = storage().read(job.params["path"]).decode("utf-8")
    reader = _reader(text, job.params["delimiter"])
    for cells in reader:
        if any(cell.strip() for cell in cells):
            yield reader.line_num, cells


def check_mapping(job: Job, mapping: dict[str, str]) -> dict[str, str]:
    """The mapping cleaned (custom columns named after their header); ContactError if unusable."""
    allowed = {t for t, _ in TARGETS}
    clean: dict[str, str] = {}
    seen: dict[str, str] = {}
    for index, header in enumerate(job.params["headers"]):
        target = mapping.get(str(index), "")
        if target not in allowed:
            raise ContactError(f"Column {header!r}: choose what it holds from the list.", "mapping")
        if target in SINGLE_TARGETS:
            if target in seen:
                raise ContactError(f"Columns {seen[target]!r} and {header!r} are both mapped to {target}.", "mapping")
            seen[target] = header
        if target == "custom":
            key = " ".join(header.split())[: rules.CUSTOM_KEY_LIMIT]
            target = f"custom:{key}"
        clean[str(index)] = target
    if "email" not in seen:
        raise ContactError(_("Map one column to Email: contacts are matched by their email address."), "mapping")
    return clean


def queue_import(job: Job, mapping: dict[str, str], label_names: list[str], *, actor=None) -> Job:
    if job.state != "mapping":
        raise ContactError(_("This import has started already."), "mapping")
    clean = check_mapping(job, mapping)
    names = [service.clean_label_name(n) for n in label_names if n.strip()]
    with db.atomic():
        if not jobs.queue(job, params={**job.params, "mapping": clean, "label_names": names}):
            raise ContactError(_("This import has started already."), "mapping")
        audit.record(
            job.organization_id,
            "contacts.import",
            user=actor,
            target=job,
            summary=stored_text("%(filename)s: %(total)s rows", filename=job.params["filename"], total=job.total),
        )
    return Job.get_by_id(job.id)


def parse_row(cells: list[str], mapping: dict[str, str]) -> dict:
    """One CSV row -> upsert values; ContactError names what is wrong."""
    values: dict = {"custom": {}, "labels": []}
    first = last = ""
    for index, target in mapping.items():
        i = int(index)
        cell = cells[i].strip() if i < len(cells) else ""
        if not target or not cell:
            continue
        if target == "first_name":
            first = cell
        elif target == "last_name":
            last = cell
        elif target == "labels":
            values["labels"] = [p.strip() for p in cell.replace(";", ",").split(",") if p.strip()]
        elif target == "stage":
            stage = STAGE_NAMES.get(" ".join(cell.replace("_", " ").split()).lower()) or STAGE_NAMES.get(cell.lower())
            if stage is None:
                raise ContactError(_("unknown funnel stage %(stage)s", stage=repr(cell)))
            values["stage"] = stage
        elif target.startswith("custom:"):
            values["custom"][target[7:]] = cell
        else:
            values[target] = cell
    if not values.get("name") and (first or last):
        values["name"] = f"{first} {last}".strip()
    email = values.get("email", "")
    if not email:
        raise ContactError(_("no email"))
    if not rules.normalize_email(email):
        raise ContactError(_("%(email)s is not an email address.", email=repr(email)))
    for label in values["labels"]:
        service.clean_label_name(label)
    return values


def _import_row(job: Job, values: dict) -> str:
    """Write one parsed row; returns "created" or "updated"."""
    email = rules.normalize_email(values["email"])
    existed = Contact.select().where((Contact.organization == job.organization_id) & (Contact.email == email)).exists()
    contact = service.upsert_contact(
        job.organization_id,
        email,
        name=values.get("name"),
        phone=values.get("phone"),
        company=values.get("company"),
        custom=values["custom"],
        source="import",
    )
    service.record_activity(
        contact,
        "imported",
        summary=stored_text("Imported from %(filename)s", filename=job.params["filename"]),
        dedupe_key=f"import:{job.id}:{contact.id}",
    )
    for name in [*values["labels"], *job.params["label_names"]]:
        service.add_label(contact, name)
    if values.get("stage"):
        service.set_stage(contact, values["stage"], source="import")
    return "updated" if existed else "created"


def _why_not_resumable(job: Job) -> str | None:
    if not storage().exists(job.params["path"]):
        return _("Its worker stopped and the uploaded file is gone, so it cannot resume. Upload the file again.")
    return None


@jobs.body(KIND, resume_check=_why_not_resumable)
def _run(job: Job, time_slice: jobs.Slice) -> object:
    """Batch after batch, each written with its progress in one transaction; after the slice,
    pause at the last batch (a resumed run carries on after it: nothing is imported twice)."""
    errors = list(job.row_errors)
    rows = _rows(job)
    next(rows, None)
    done = job.processed
    batch: list[tuple[int, list[str]]] = []
    for index, (line, cells) in enumerate(rows):
        if index < done:
            continue
        batch.append((line, cells))
        if len(batch) >= BATCH:
            done = _run_batch(job, batch, errors, done)
            batch = []
            if time_slice.over():
                return work.AGAIN
    if batch:
        done = _run_batch(job, batch, errors, done)
    jobs.finish(job, processed=done)
    return None


def _run_batch(job: Job, batch: list[tuple[int, list[str]]], errors: list, done: int) -> int:
    counts = {"created": 0, "updated": 0, "failed": 0}
    params = job.params
    with write_transaction():
        for line, cells in batch:
            try:
                values = parse_row(cells, params["mapping"])
                with db.atomic():  # a row that fails leaves nothing behind
                    counts[_import_row(job, values)] += 1
            except ContactError as exc:
                counts["failed"] += 1
                if len(errors) < MAX_STORED_ERRORS:
                    message = message_of(exc)
                    errors.append({"row": line, "message": message, "message_i18n": stored_from(message).to_json()})
        done += len(batch)
        jobs.checkpoint(
            job,
            processed=done,
            created_rows=Job.created_rows + counts["created"],
            updated_rows=Job.updated_rows + counts["updated"],
            failed_rows=Job.failed_rows + counts["failed"],
            row_errors=errors,
        )
    return done
