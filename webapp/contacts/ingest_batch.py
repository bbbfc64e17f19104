"""Processing a claimed batch of incoming events with set-based SQL, so that thousands of events a
second reach contact timelines.

A batch is read and computed first (`prepare`, outside any transaction), then written (`write`, in
the caller's transaction): on SQLite that transaction holds the one write lock, which the API's
inserts wait for.

Per batch: contacts are looked up in two queries (by email, by user_id); the batch's new people
are inserted together, as `contacts.upsert_contact` would have made them one by one (same
defaults, same cleaned user_id, one contact_updated signal each); a person already known whose
user_id changes goes through `upsert_contact` (CONTACTS' merge rules). Tag rules apply as
webapp/contacts/ingest_labels.py says. The timeline entries are written in one multi-row INSERT
with the same columns and once-only `dedupe_key` that `contacts.record_activity` writes, and the
contacts' `last_activity_at` moves forward as record_activity moves it. A failure of one event
(unknown user_id, a bad address, a rule that cannot apply) is that event's `process_error` only.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from webapp import signals
from webapp.contacts import bulk, ingest_labels, rules
from webapp.contacts import service as contacts
from webapp.contacts.ingest_models import EVENT_TYPES, IncomingEvent, TagRule
from webapp.contacts.models import Activity, Contact
from webapp.db import db, utcnow

log = logging.getLogger("rollcall.ingest")

# (contact id, activity id, error): error set means the event failed
Outcome = tuple[int | None, int | None, str | None]
IN_CHUNK = 500  # values of one IN (...) list


class IngestError(ValueError):
    """An event that cannot be turned into a timeline entry (stored as its process_error)."""


def rows_in(columns: str, table: str, org_id: int, column: str, values: list, where: str = "", *params) -> list:
    """SELECT `columns` FROM `table` of this organization's rows whose `column` is one of `values`
    (IN lists of IN_CHUNK; `where` and `params` add a condition). Plain SQL: a peewee IN list of
    hundreds of values costs more to build than the query takes."""
    rows: list = []
    for start in range(0, len(values), IN_CHUNK):
        chunk = values[start : start + IN_CHUNK]
        sql = (
            f'SELECT {columns} FROM "{table}" WHERE "organization_id" = {db.param} {where} '
            f'AND "{column}" IN ({", ".join([db.param] * len(chunk))})'
        )
        rows += db.execute_sql(sql, [org_id, *params, *chunk]).fetchall()
    return rows


@dataclass(slots=True)
class ClaimedEvent:
    """A claimed intake row as processing reads it: plain values (building 500 model instances
    costs more than processing their events). `properties_json` is the stored text."""

    id: int
    organization_id: int
    type: str
    email: str | None
    user_id: str | None
    occurred_at: dt.datetime
    properties: dict
    properties_json: str


def read_pending(org_id: int, first: int, last: int, limit: int) -> list[ClaimedEvent]:
    """Up to `limit` still-pending rows of the organization with ids from `first` to `last`,
    oldest first."""
    sql = (
        'SELECT "id", "organization_id", "type", "email", "user_id", "occurred_at", "properties" '
        f'FROM "incoming_event" WHERE "organization_id" = {db.param} AND "id" BETWEEN {db.param} AND {db.param} '
        f'AND "status" = {db.param} ORDER BY "id" LIMIT {int(limit)}'
    )
    to_time = IncomingEvent.occurred_at.python_value
    times: dict = {}  # a batch's events share few distinct times: each is converted once
    events = []
    for row_id, row_org, kind, email, user_id, occurred_at, text in db.execute_sql(
        sql, [org_id, first, last, "pending"]
    ):
        if occurred_at not in times:
            times[occurred_at] = to_time(occurred_at)
        events.append(ClaimedEvent(row_id, row_org, kind, email, user_id, times[occurred_at], json.loads(text), text))
    return events


@dataclass
class Plan:
    """A batch as read and computed before its transaction, which then only writes (on SQLite
    every transaction holds the one write lock the API's inserts wait for)."""

    rows: list[ClaimedEvent]
    failed: dict[int, Outcome]  # events that cannot be processed, known already
    emails: dict[int, str]  # normalized, by row id
    by_email: dict  # {(org id, email): (contact id, user_id)} of known contacts
    by_user: dict  # {(org id, user_id): (contact id, user_id)} of known contacts
    matching: dict[int, list[TagRule]]  # the tag rules each event matches, by row id
    entries: dict[int, tuple]  # the timeline entry's kind, occurred_at, summary, data, dedupe_key
    recorded: dict[str, int]  # {dedupe_key: activity id} of entries an earlier run recorded


def prepare(
    rows: list[ClaimedEvent],
    rules_for: Callable[[int], list[TagRule]],
    rule_matches: Callable[[TagRule, str, dict], bool],
    summary_of: Callable[[ClaimedEvent], str],
) -> Plan:
    """Read and compute what the batch needs, outside any transaction. What changes in between
    is settled when writing: a contact inserted meanwhile by someone else is merged into, one
    deleted meanwhile fails the batch (which is then processed one event at a time)."""
    failed: dict[int, Outcome] = {}
    emails = _emails(rows, failed)
    rows_left = [row for row in rows if row.id not in failed]
    by_email = _lookup(rows_left, "email", emails)
    by_user = _lookup(rows_left, "user_id", {row.id: row.user_id for row in rows_left if not row.email})
    matching = {}
    for row in rows_left:
        rules = [r for r in rules_for(row.organization_id) if rule_matches(r, row.type, row.properties)]
        if rules:
            matching[row.id] = rules
    occurred_at = Activity.occurred_at.db_value
    entries = {
        row.id: (
            row.type[:32],
            occurred_at(row.occurred_at),
            summary_of(row)[:300],
            _activity_data(row),
            f"ingest:{row.id}",
        )
        for row in rows_left
    }
    recorded = _recorded(rows_left, {row_id: entry[4] for row_id, entry in entries.items()})
    return Plan(rows, failed, emails, by_email, by_user, matching, entries, recorded)


def write(plan: Plan, contact_for: Callable[[ClaimedEvent], Contact]) -> dict[int, Outcome]:
    """Outcome per row id. Runs inside the caller's transaction."""
    outcomes = dict(plan.failed)
    contact_ids = _resolve_contacts(plan, outcomes, contact_for)
    labelled = [row for row in plan.rows if row.id not in outcomes and row.id in plan.matching]
    carried = _carried_labels({(row.organization_id, contact_ids[row.id]) for row in labelled})
    for row_id, error in ingest_labels.apply(labelled, contact_ids, plan.matching, carried).items():
        outcomes[row_id] = (None, None, error)
    good = [row for row in plan.rows if row.id not in outcomes]
    activity_ids = _insert_activities(good, contact_ids, plan)
    _touch_contacts(good, contact_ids)
    for row in good:
        outcomes[row.id] = (contact_ids[row.id], activity_ids[row.id], None)
    return outcomes


def _fail(outcomes: dict[int, Outcome], row: ClaimedEvent, message: str) -> None:
    outcomes[row.id] = (None, None, message)


# Contacts ----------------------------------------------------------------------------------------


def _emails(rows: list[ClaimedEvent], failed: dict[int, Outcome]) -> dict[int, str]:
    """{row id: normalized email}; events of an unknown type or with a bad address fail."""
    emails: dict[int, str] = {}
    for row in rows:
        if row.type not in EVENT_TYPES:
            _fail(failed, row, f"Unknown event type {row.type!r}.")
        elif row.email:
            email = contacts.normalize_email(row.email)
            if email:
                emails[row.id] = email
            else:
                _fail(failed, row, f"{row.email!r} is not an email address.")
    return emails


def _resolve_contacts(
    plan: Plan, outcomes: dict[int, Outcome], contact_for: Callable[[ClaimedEvent], Contact]
) -> dict[int, int]:
    """{row id: contact id}; rows that cannot have one get their outcome set."""
    rows, emails = plan.rows, plan.emails
    by_email, by_user = dict(plan.by_email), dict(plan.by_user)
    created = _create_contacts(rows, emails, outcomes, by_email)
    made: dict[tuple[int, str], int | str] = {}  # contacts upserted in this batch, or the error
    found: dict[int, int] = {}
    for row in rows:
        if row.id in outcomes:
            continue
        if row.id in emails:
            key = (row.organization_id, emails[row.id])
            if key in created:
                found[row.id] = created[key]
                if row.user_id:  # later events of this batch may name the person by user_id only
                    by_user[(row.organization_id, row.user_id)] = (created[key], row.user_id)
                continue
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
                if row.user_id:
                    by_user[(row.organization_id, row.user_id)] = (made[key], row.user_id)
        else:
            existing = by_user.get((row.organization_id, row.user_id))
            if existing is None:
                _fail(outcomes, row, f"No contact has user_id {row.user_id!r} yet: send the email with this "
                                     "person's first event.")  # fmt: skip
            else:
                found[row.id] = existing[0]
    return found


_CONTACT_COLUMNS = tuple(f.name for f in Contact._meta.sorted_fields if f.name != "id")


def _create_contacts(
    rows: list[ClaimedEvent], emails: dict[int, str], outcomes: dict[int, Outcome], by_email: dict
) -> dict[tuple[int, str], int]:
    """Insert the batch's unknown people at once: {(org id, email): contact id} of those made
    here. Each gets what upsert_contact would leave after the batch's events one by one: the
    last user_id they name. A person a concurrent worker inserted first joins `by_email`
    instead, to be merged into through upsert_contact."""
    wanted: dict[tuple[int, str], dict] = {}
    for row in rows:
        if row.id in outcomes or row.id not in emails:
            continue
        key = (row.organization_id, emails[row.id])
        if key not in by_email:
            rules.merge_into(wanted.setdefault(key, {}), rules.incoming_fields(user_id=row.user_id))
    if not wanted:
        return {}
    tokens = {key: rules.new_unsubscribe_token() for key in wanted}
    new_rows = []
    for (org_id, email), incoming in wanted.items():
        contact = Contact(organization=org_id, email=email, unsubscribe_token=tokens[(org_id, email)], **incoming)
        new_rows.append({name: contact.__data__.get(name) for name in _CONTACT_COLUMNS})
    bulk.insert_ignore(Contact, new_rows)  # the unique (organization, email) index settles races
    created: dict[tuple[int, str], int] = {}
    for org_id, found in _contacts_by_email(list(wanted)).items():
        for email, (contact_id, user_id, token) in found.items():
            if token == tokens[(org_id, email)]:
                created[(org_id, email)] = contact_id
            else:
                by_email[(org_id, email)] = (contact_id, user_id)
    for contact_id in sorted(created.values()):
        signals.emit(signals.contact_updated, contact_id=contact_id)
    return created


def _contacts_by_email(keys: list[tuple[int, str]]) -> dict[int, dict[str, tuple[int, str | None, str]]]:
    """{org id: {email: (contact id, user_id, unsubscribe token)}}."""
    by_org: dict[int, list[str]] = {}
    for org_id, email in keys:
        by_org.setdefault(org_id, []).append(email)
    found: dict[int, dict] = {}
    for org_id, org_emails in by_org.items():
        columns = '"email", "id", "user_id", "unsubscribe_token"'
        for email, contact_id, user_id, token in rows_in(columns, "contact", org_id, "email", org_emails):
            found.setdefault(org_id, {})[email] = (contact_id, user_id, token)
    return found


def _upsert(row: ClaimedEvent, contact_for: Callable[[ClaimedEvent], Contact]) -> int | str:
    """The contact id from CONTACTS' upsert (new person, or a user_id to merge in), or the error."""
    try:
        with db.atomic():
            return contact_for(row).id
    except (IngestError, contacts.ContactError) as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - recorded on the event for the integrator
        log.exception("incoming event %s: contact could not be made", row.id)
        return f"Internal error while processing ({type(exc).__name__}); it will not be retried."


def _lookup(rows: list[ClaimedEvent], column: str, wanted: dict[int, str | None]) -> dict:
    """{(org id, value): (contact id, user_id)} for the contacts matching `column` = value."""
    found: dict = {}
    by_org: dict[int, set[str]] = {}
    for row in rows:
        if wanted.get(row.id):
            by_org.setdefault(row.organization_id, set()).add(wanted[row.id])
    for org_id, values in by_org.items():
        for value, contact_id, user_id in rows_in(
            f'"{column}", "id", "user_id"', "contact", org_id, column, sorted(values)
        ):
            found[(org_id, value)] = (contact_id, user_id)
    return found


def _carried_labels(contacts_of_orgs: set[tuple[int, int]]) -> dict[int, set]:
    """{contact id: label ids} of the labels these (org id, contact id) carry."""
    by_org: dict[int, list[int]] = {}
    for org_id, contact_id in contacts_of_orgs:
        by_org.setdefault(org_id, []).append(contact_id)
    carried: dict[int, set] = {}
    for org_id, ids in by_org.items():
        for contact_id, label in rows_in('"contact_id", "label_id"', "contact_label", org_id, "contact_id", ids):
            carried.setdefault(contact_id, set()).add(label)
    return carried


# Timeline ----------------------------------------------------------------------------------------

_ACTIVITY_COLUMNS = (
    "organization", "contact", "kind", "occurred_at", "summary", "data", "dedupe_key", "created_at",
)  # fmt: skip


def _insert_activities(rows: list[ClaimedEvent], contact_ids: dict[int, int], plan: Plan) -> dict[int, int]:
    """{row id: activity id}: one timeline entry per event, once (dedupe_key "ingest:<id>")."""
    ids = {row.id: plan.recorded[plan.entries[row.id][4]] for row in rows if plan.entries[row.id][4] in plan.recorded}
    fresh = [row for row in rows if row.id not in ids]
    fields = [Activity._meta.fields[name] for name in _ACTIVITY_COLUMNS]
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    row_sql = "(" + ", ".join([db.param] * len(fields)) + ")"
    created_at = Activity.created_at.db_value(utcnow())
    for start in range(0, len(fresh), 250):
        chunk = fresh[start : start + 250]
        params: list = []
        for row in chunk:
            kind, occurred_at, summary, data, key = plan.entries[row.id]
            params += (row.organization_id, contact_ids[row.id], kind, occurred_at, summary, data, key, created_at)
        sql = f'INSERT INTO "activity" ({columns}) VALUES {", ".join([row_sql] * len(chunk))} RETURNING "id"'
        # ids are handed out in VALUES order; sorting makes that explicit whatever order RETURNING uses
        new_ids = sorted(row_id for (row_id,) in db.execute_sql(sql, params).fetchall())
        ids.update({row.id: new_id for row, new_id in zip(chunk, new_ids, strict=True)})
    return ids


def _activity_data(row: ClaimedEvent) -> str:
    """The stored text of {"properties": ..., "incoming_id": ..., "source": "api"} as Activity.data
    (a JSONField: compact, keys sorted) writes it. The properties are the intake's stored text,
    written by the same encoding, so they are put in as they are rather than encoded again."""
    return f'{{"incoming_id":{row.id},"properties":{row.properties_json},"source":"api"}}'


def _recorded(rows: list[ClaimedEvent], keys: dict[int, str]) -> dict[str, int]:
    """{dedupe_key: activity id} of the entries an earlier run of these events recorded."""
    by_org: dict[int, list[str]] = {}
    for row in rows:
        by_org.setdefault(row.organization_id, []).append(keys[row.id])
    found: dict[str, int] = {}
    for org_id, org_keys in by_org.items():
        found.update(rows_in('"dedupe_key", "id"', "activity", org_id, "dedupe_key", org_keys))
    return found


def _touch_contacts(rows: list[ClaimedEvent], contact_ids: dict[int, int]) -> None:
    """last_activity_at = the latest of its current value and the events' times (never back)."""
    latest: dict[int, dt.datetime] = {}
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
