"""Processing a claimed batch of incoming events with set-based SQL, so that thousands of events a
second reach contact timelines.

Per batch: contacts are looked up in two queries (by email, by user_id); only unknown people go
through `contacts.upsert_contact` (CONTACTS' merge rules, signals); tag rules go through
`add_label` / `remove_label`; the timeline entries are written in one multi-row INSERT with the
same columns and once-only `dedupe_key` that `contacts.record_activity` writes, and the contacts'
`last_activity_at` moves forward as record_activity moves it. A failure of one event (unknown
user_id, a bad address, a rule that cannot apply) is that event's `process_error` only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from webapp.contacts import service as contacts
from webapp.contacts.ingest_models import EVENT_TYPES, IncomingEvent, TagRule
from webapp.contacts.models import Activity, Contact
from webapp.db import db, utcnow

log = logging.getLogger("rollcall.ingest")

# (contact id, activity id, error): error set means the event failed
Outcome = tuple[int | None, int | None, str | None]


class IngestError(ValueError):
    """An event that cannot be turned into a timeline entry (stored as its process_error)."""


def process(
    rows: list[IncomingEvent],
    rules_for: Callable[[int], list[TagRule]],
    contact_for: Callable[[IncomingEvent], Contact],
    rule_matches: Callable[[TagRule, str, dict], bool],
    summary_of: Callable[[IncomingEvent], str],
) -> dict[int, Outcome]:
    """Outcome per row id. Runs inside the caller's transaction."""
    outcomes: dict[int, Outcome] = {}
    contact_ids = _resolve_contacts(rows, outcomes, contact_for)
    for row in rows:
        if row.id in outcomes:
            continue
        matching = [r for r in rules_for(row.organization_id) if rule_matches(r, row.type, row.properties or {})]
        if matching:
            error = _apply_rules(contact_ids[row.id], matching)
            if error:
                outcomes[row.id] = (None, None, error)
    good = [row for row in rows if row.id not in outcomes]
    activity_ids = _insert_activities(good, contact_ids, summary_of)
    _touch_contacts(good, contact_ids)
    for row in good:
        outcomes[row.id] = (contact_ids[row.id], activity_ids[row.id], None)
    return outcomes


def _fail(outcomes: dict[int, Outcome], row: IncomingEvent, message: str) -> None:
    outcomes[row.id] = (None, None, message)


def _resolve_contacts(
    rows: list[IncomingEvent], outcomes: dict[int, Outcome], contact_for: Callable[[IncomingEvent], Contact]
) -> dict[int, int]:
    """{row id: contact id}; rows that cannot have one get their outcome set."""
    emails: dict[int, str] = {}
    for row in rows:
        if row.type not in EVENT_TYPES:
            _fail(outcomes, row, f"Unknown event type {row.type!r}.")
        elif row.email:
            email = contacts.normalize_email(row.email)
            if email:
                emails[row.id] = email
            else:
                _fail(outcomes, row, f"{row.email!r} is not an email address.")
    by_email = _lookup(rows, "email", {row.id: emails.get(row.id) for row in rows})
    by_user = _lookup(rows, "user_id", {row.id: row.user_id for row in rows if not row.email})
    made: dict[tuple[int, str], int | str] = {}  # contacts created in this batch, or the error
    found: dict[int, int] = {}
    for row in rows:
        if row.id in outcomes:
            continue
        if row.id in emails:
            key = (row.organization_id, emails[row.id])
            existing = by_email.get(key)
            if existing is not None and (not row.user_id or existing[1] == row.user_id):
                found[row.id] = existing[0]
                continue
            if key not in made or row.user_id:
                made[key] = _upsert(row, contact_for)
            if isinstance(made[key], str):
                _fail(outcomes, row, made[key])
            else:
                found[row.id] = made[key]
                by_email[key] = (made[key], row.user_id or (existing[1] if existing else None))
                if row.user_id:  # later events of this batch may name the person by user_id only
                    by_user[(row.organization_id, row.user_id)] = (made[key], row.user_id)
        else:
            existing = by_user.get((row.organization_id, row.user_id))
            if existing is None:
                _fail(outcomes, row, f"No contact has user_id {row.user_id!r} yet: send the email with this "
                                     "person's first event.")  # fmt: skip
            else:
                found[row.id] = existing[0]
    return found


def _upsert(row: IncomingEvent, contact_for: Callable[[IncomingEvent], Contact]) -> int | str:
    """The contact id from CONTACTS' upsert (new person, or a user_id to merge in), or the error."""
    try:
        with db.atomic():
            return contact_for(row).id
    except (IngestError, contacts.ContactError) as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - recorded on the event for the integrator
        log.exception("incoming event %s: contact could not be made", row.id)
        return f"Internal error while processing ({type(exc).__name__}); it will not be retried."


def _lookup(rows: list[IncomingEvent], column: str, wanted: dict[int, str | None]) -> dict:
    """{(org id, value): (contact id, user_id)} for the contacts matching `column` = value."""
    found: dict = {}
    by_org: dict[int, set[str]] = {}
    for row in rows:
        if wanted.get(row.id):
            by_org.setdefault(row.organization_id, set()).add(wanted[row.id])
    for org_id, values in by_org.items():
        ordered = sorted(values)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            sql = (
                f'SELECT "{column}", "id", "user_id" FROM "contact" WHERE "organization_id" = {db.param} '
                f'AND "{column}" IN ({", ".join([db.param] * len(chunk))})'
            )
            for value, contact_id, user_id in db.execute_sql(sql, [org_id, *chunk]).fetchall():
                found[(org_id, value)] = (contact_id, user_id)
    return found


def _apply_rules(contact_id: int, rules: list[TagRule]) -> str | None:
    try:
        with db.atomic():
            contact = Contact.get_by_id(contact_id)
            for rule in rules:
                if rule.action == "add":
                    contacts.add_label(contact, rule.label)
                else:
                    contacts.remove_label(contact, rule.label)
    except contacts.ContactError as exc:
        return f"Tag rule could not apply: {exc}"
    except Exception as exc:  # noqa: BLE001
        log.exception("tag rules failed for contact %s", contact_id)
        return f"Internal error while applying tag rules ({type(exc).__name__}); it will not be retried."
    return None


_ACTIVITY_COLUMNS = (
    "organization", "contact", "kind", "occurred_at", "summary", "data", "dedupe_key", "created_at",
)  # fmt: skip


def _insert_activities(
    rows: list[IncomingEvent], contact_ids: dict[int, int], summary_of: Callable[[IncomingEvent], str]
) -> dict[int, int]:
    """{row id: activity id}: one timeline entry per event, once (dedupe_key "ingest:<id>")."""
    if not rows:
        return {}
    keys = {row.id: f"ingest:{row.id}" for row in rows}
    existing = dict(
        Activity.select(Activity.dedupe_key, Activity.id).where(Activity.dedupe_key.in_(list(keys.values()))).tuples()
    )
    fresh = [row for row in rows if keys[row.id] not in existing]
    ids = {row.id: existing[keys[row.id]] for row in rows if keys[row.id] in existing}
    fields = [Activity._meta.fields[name] for name in _ACTIVITY_COLUMNS]
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    row_sql = "(" + ", ".join([db.param] * len(fields)) + ")"
    now = utcnow()
    for start in range(0, len(fresh), 250):
        chunk = fresh[start : start + 250]
        params: list = []
        for row in chunk:
            values = {
                "organization": row.organization_id,
                "contact": contact_ids[row.id],
                "kind": row.type[:32],
                "occurred_at": row.occurred_at,
                "summary": summary_of(row)[:300],
                "data": {"properties": row.properties or {}, "incoming_id": row.id, "source": "api"},
                "dedupe_key": keys[row.id],
                "created_at": now,
            }
            params += [field.db_value(values[field.name]) for field in fields]
        sql = f'INSERT INTO "activity" ({columns}) VALUES {", ".join([row_sql] * len(chunk))} RETURNING "id"'
        # ids are handed out in VALUES order; sorting makes that explicit whatever order RETURNING uses
        new_ids = sorted(row_id for (row_id,) in db.execute_sql(sql, params).fetchall())
        ids.update({row.id: new_id for row, new_id in zip(chunk, new_ids, strict=True)})
    return ids


def _touch_contacts(rows: list[IncomingEvent], contact_ids: dict[int, int]) -> None:
    """last_activity_at = the latest of its current value and the events' times (never back)."""
    latest: dict[int, object] = {}
    for row in rows:
        contact_id = contact_ids[row.id]
        if contact_id not in latest or row.occurred_at > latest[contact_id]:
            latest[contact_id] = row.occurred_at
    field = Contact.last_activity_at
    sql = (
        f'UPDATE "contact" SET "last_activity_at" = {db.param} WHERE "id" = {db.param} '
        f'AND ("last_activity_at" IS NULL OR "last_activity_at" < {db.param})'
    )
    _execute_many(
        sql, [(field.db_value(when), contact_id, field.db_value(when)) for contact_id, when in latest.items()]
    )


def _execute_many(sql: str, params: list[tuple]) -> None:
    if params:
        db.cursor().executemany(sql, params)


def write_outcomes(outcomes: dict[int, Outcome]) -> None:
    now = utcnow()
    processed_at = IncomingEvent.processed_at.db_value(now)
    sql = (
        f'UPDATE "incoming_event" SET "status" = {db.param}, "process_error" = {db.param}, '
        f'"contact_id" = {db.param}, "activity_id" = {db.param}, "processed_at" = {db.param} WHERE "id" = {db.param}'
    )
    _execute_many(
        sql,
        [
            ("failed" if error else "processed", error[:2000] if error else None, contact_id, activity_id, processed_at,
             row_id)
            for row_id, (contact_id, activity_id, error) in outcomes.items()
        ],
    )  # fmt: skip
