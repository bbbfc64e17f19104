"""Event-tracking ingestion: product events (signup, purchase, ...) become contact timeline entries
and labels.

Two steps, so that accepting is fast and processing can fail one event at a time:
1. `accept` stores the events raw (IncomingEvent, status "pending") in one bulk insert, with
   the work items that process them (webapp.work) in the same transaction.
2. `process` (the handler of its work items, recorded with the rows) takes them in batches; for each one it finds or creates
   the contact, records the canonical event on the contact's timeline (an Activity of the event's
   type) and applies the organization's tag rules. An event that fails is marked "failed" with its
   `process_error`; the others of the batch go on.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import time
from collections.abc import Iterable
from typing import NamedTuple

import peewee as pw

from webapp import signals, work
from webapp.accounts import audit
from webapp.contacts import ingest_batch
from webapp.contacts import service as contacts
from webapp.contacts.ingest_batch import IngestError
from webapp.contacts.ingest_models import EVENT_TYPES, TAG_ACTIONS, IncomingEvent, TagRule
from webapp.contacts.models import Activity, Contact
from webapp.db import db, is_postgres, utcnow, write_transaction, writer_turn
from webapp.i18n import StoredText, stored_text, verbatim

log = logging.getLogger("rollcall.ingest")

BATCH_SIZE = 500
MAX_PAUSE = 0.25  # seconds, at most, between two batches (see process_pending)


class KeyReused(ValueError):
    """An idempotency_key sent again with a different event (at `index` of the list)."""

    def __init__(self, index: int, key: str):
        super().__init__(f"The idempotency_key {key!r} was already used for a different event.")
        self.index, self.key = index, key


class Accepted(NamedTuple):
    id: int
    duplicate: bool


# The text IncomingEvent.properties stores (JSONField's encoding), with the encoder built once.
properties_json = json.JSONEncoder(separators=(",", ":"), sort_keys=True).encode


class Properties(dict):
    """An event's properties whose stored text is known already (the API encodes them to check
    their size): accept() stores that text rather than encoding them a second time."""

    __slots__ = ("stored",)

    def __init__(self, properties: dict, stored: str):
        super().__init__(properties)
        self.stored = stored


# Accepting ---------------------------------------------------------------------------------------


def accept(org_id: int, events: list[dict]) -> list[Accepted]:
    """Store validated events (type, email, user_id, occurred_at, properties, idempotency_key) as
    pending. An idempotency_key already seen in this organization (or earlier in the same list)
    is not stored again: its answer is the first event's id, marked duplicate. The same key with
    a different event raises KeyReused, and nothing of the list is stored."""
    keys = {e["idempotency_key"] for e in events if e.get("idempotency_key")}
    known = _ids_for_keys(org_id, keys)
    if known:
        _check_same_as_stored(org_id, events, known)
    results: list[Accepted | None] = [None] * len(events)
    fresh: list[tuple[int, dict]] = []
    first_index: dict[str, int] = {}
    for index, event in enumerate(events):
        key = event.get("idempotency_key")
        if key and key in known:
            results[index] = Accepted(known[key], True)
        elif key and key in first_index:
            if not _same_event(event, events[first_index[key]]):
                raise KeyReused(index, key)
            continue  # resolved below, once the first one has its id
        else:
            if key:
                first_index[key] = index
            fresh.append((index, event))
    now = utcnow()
    statements = _insert_statements(org_id, [e for _, e in fresh], now)  # built before taking the lock
    with writer_turn(), write_transaction():
        try:
            with db.atomic():
                ids = _insert(statements)
        except pw.IntegrityError:  # a concurrent request stored one of the keys: go one by one
            ids = [_insert_one(org_id, e, now) for _, e in fresh]
        record_processing(org_id, [row_id for row_id, duplicate in ids if not duplicate])
    for (index, _), (row_id, duplicate) in zip(fresh, ids, strict=True):
        results[index] = Accepted(row_id, duplicate)
    by_key = {events[i]["idempotency_key"]: results[i].id for i in first_index.values()}
    for index, event in enumerate(events):
        if results[index] is None:
            results[index] = Accepted(by_key[event["idempotency_key"]], True)
    return results  # type: ignore[return-value]


def _check_same_as_stored(org_id: int, events: list[dict], known: dict[str, int]) -> None:
    """KeyReused for the first event whose key is stored with a different event."""
    fields = (IncomingEvent.type, IncomingEvent.email, IncomingEvent.user_id, IncomingEvent.occurred_at)
    stored = {
        row["idempotency_key"]: row
        for row in IncomingEvent.select(*fields, IncomingEvent.properties, IncomingEvent.idempotency_key)
        .where((IncomingEvent.organization == org_id) & IncomingEvent.idempotency_key.in_(list(known)))
        .dicts()
    }
    for index, event in enumerate(events):
        key = event.get("idempotency_key")
        if key in stored and not _same_event(event, stored[key]):
            raise KeyReused(index, key)


def _same_event(event: dict, other: dict) -> bool:
    """Whether two events say the same (an occurred_at left out, which defaults to the time of
    receipt, matches any)."""
    for name in ("type", "email", "user_id"):
        if event.get(name) != other.get(name):
            return False
    if _stored_properties(event.get("properties")) != _stored_properties(other.get("properties")):
        return False
    when, other_when = event.get("occurred_at"), other.get("occurred_at")
    return when is None or other_when is None or _naive_utc(when) == _naive_utc(other_when)


def _naive_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


def _row(org_id: int, event: dict, now: dt.datetime) -> dict:
    return {
        "organization": org_id,
        "type": event["type"],
        "email": event.get("email"),
        "user_id": event.get("user_id"),
        "occurred_at": event.get("occurred_at") or now,
        "properties": event.get("properties") or {},
        "idempotency_key": event.get("idempotency_key"),
        "status": "pending",
        "received_at": now,
    }


_COLUMNS = (
    "organization", "type", "email", "user_id", "occurred_at", "properties", "idempotency_key", "status", "received_at",
)  # fmt: skip


def _insert_statements(org_id: int, events: list[dict], now: dt.datetime) -> list[tuple[str, list]]:
    """Multi-row INSERTs of these events (sql, params), as few as the bound-parameter limit allows.
    Written as SQL, each row's values built directly: a peewee insert_many costs about a
    millisecond per row, which would be most of a bulk request's time."""
    fields = [IncomingEvent._meta.fields[name] for name in _COLUMNS]
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    row_sql = "(" + ", ".join([db.param] * len(fields)) + ")"
    received_at = IncomingEvent.received_at.db_value(now)
    occurred_at = IncomingEvent.occurred_at.db_value
    rows = [
        (
            org_id,
            event["type"],
            event.get("email"),
            event.get("user_id"),
            occurred_at(event["occurred_at"]) if event.get("occurred_at") else received_at,
            _stored_properties(event.get("properties")),
            event.get("idempotency_key"),
            "pending",
            received_at,
        )
        for event in events
    ]
    size = _rows_per_insert(len(fields))
    statements = []
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        sql = f'INSERT INTO "incoming_event" ({columns}) VALUES {", ".join([row_sql] * len(chunk))} RETURNING "id"'
        statements.append((sql, [value for row in chunk for value in row]))
    return statements


def _insert(statements: list[tuple[str, list]]) -> list[tuple[int, bool]]:
    ids: list[tuple[int, bool]] = []
    for sql, params in statements:
        # ids are handed out in VALUES order; sorting makes that explicit whatever order RETURNING uses
        ids += [(row_id, False) for (row_id,) in sorted(db.execute_sql(sql, params).fetchall())]
    return ids


def _stored_properties(properties: dict | None) -> str:
    if type(properties) is Properties:
        return properties.stored
    return properties_json(properties or {})


def _rows_per_insert(columns: int) -> int:
    """Rows of one INSERT: a whole bulk post where the database's bound-parameter limit allows
    (SQLite since 3.32: 32,766; PostgreSQL: 65,535), fewer where SQLite is built with less."""
    limit = 32766
    if not is_postgres():
        connection = db.connection()
        limit = connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(1000, limit // columns))


def _insert_one(org_id: int, event: dict, now: dt.datetime) -> tuple[int, bool]:
    try:
        with db.atomic():
            return IncomingEvent.insert(_row(org_id, event, now)).execute(), False
    except pw.IntegrityError:
        return _ids_for_keys(org_id, {event["idempotency_key"]})[event["idempotency_key"]], True


def _ids_for_keys(org_id: int, keys: set[str]) -> dict[str, int]:
    """{idempotency_key: id} of the organization's stored events with these keys."""
    return dict(
        ingest_batch.rows_in('"idempotency_key", "id"', "incoming_event", org_id, "idempotency_key", sorted(keys))
    )


def statuses(org_id: int, ids: list[int]) -> dict[int, str]:
    """{id: status} of those of these intake rows that are no longer pending (processed or
    failed). Fresh rows of one bulk post have consecutive ids: a run of them is read as a range;
    ids out of a run (duplicates of earlier events) by an IN list."""
    found: dict[int, str] = {}
    singles: list[int] = []
    settled = f'"organization_id" = {db.param} AND "status" <> {db.param}'
    for first, last in _runs(sorted(set(ids))):
        if last - first < 50:
            singles += range(first, last + 1)
            continue
        sql = f'SELECT "id", "status" FROM "incoming_event" WHERE {settled} AND "id" BETWEEN {db.param} AND {db.param}'
        found.update(db.execute_sql(sql, [org_id, "pending", first, last]).fetchall())
    settled_singles = ingest_batch.rows_in(
        '"id", "status"', "incoming_event", org_id, "id", singles, f'AND "status" <> {db.param}', "pending"
    )
    found.update(settled_singles)
    return found


def _runs(ordered: list[int]) -> list[tuple[int, int]]:
    """(first, last) of each run of consecutive numbers."""
    runs: list[tuple[int, int]] = []
    for number in ordered:
        if runs and runs[-1][1] == number - 1:
            runs[-1] = (runs[-1][0], number)
        else:
            runs.append((number, number))
    return runs


PROCESS = "contacts.process_incoming_events"  # work: {"org", "first", "last"} intake rows, bulk, batched


def record_processing(org_id: int, ids: list[int]) -> None:
    """In the transaction that stored these intake rows: the work of processing them, one work
    item per BATCH_SIZE consecutive ids (the rows of one post are consecutive)."""
    for first, last in _runs(sorted(ids)):
        for start in range(first, last + 1, BATCH_SIZE):
            payload = {"org": org_id, "first": start, "last": min(start + BATCH_SIZE - 1, last)}
            work.record(PROCESS, payload, priority=work.BULK)


# Processing --------------------------------------------------------------------------------------


def process(ranges: list[dict]) -> int:
    """Process the still-pending intake rows of these ranges (the work items a worker claimed
    together), a batch at a time; returns how many were handled. A worker that dies mid-way
    leaves its items leased: once the lease lapses they run again and find pending only what
    was not committed (each batch is one transaction).

    On SQLite, while events keep arriving, the run pauses after a full batch as long as the
    batch held the write lock: otherwise the API's inserts would find it taken again at once,
    batch after batch."""
    handled = 0
    newest = _newest_id()
    for span in ranges:
        after = span["first"] - 1
        while rows := ingest_batch.read_pending(span["org"], after + 1, span["last"], BATCH_SIZE):
            batch_started = time.monotonic()
            process_batch(rows)
            handled += len(rows)
            after = rows[-1].id
            if len(rows) == BATCH_SIZE and not is_postgres():
                arrived = _newest_id()
                if arrived != newest:
                    newest = arrived
                    time.sleep(min(time.monotonic() - batch_started, MAX_PAUSE))
    return handled


def _newest_id() -> int | None:
    return db.execute_sql('SELECT MAX("id") FROM "incoming_event"').fetchone()[0]


def process_batch(rows: Iterable[ingest_batch.ClaimedEvent]) -> None:
    """One transaction for the batch, processed set-wise (webapp.contacts.ingest_batch), what it
    reads read before. Should the batch as a whole break, its events are processed again one at
    a time, each in a savepoint: a failure then touches only its own event."""
    rows = list(rows)
    rules: dict[int, list[TagRule]] = {}

    def rules_for(org_id: int) -> list[TagRule]:
        if org_id not in rules:
            rules[org_id] = active_rules(org_id)
        return rules[org_id]

    try:
        plan = ingest_batch.prepare(rows, rules_for, rule_matches, summary_of)  # before taking the lock
    except Exception:  # noqa: BLE001 - fall back to the careful path
        _log_batch_failure(rows)
        plan = None
    with writer_turn(), write_transaction():
        outcomes = None
        if plan is not None:
            try:
                with db.atomic():
                    outcomes = ingest_batch.write(plan, lambda row: _contact_for(row))
            except Exception:  # noqa: BLE001 - fall back to the careful path
                _log_batch_failure(rows)
        if outcomes is None:
            outcomes = {row.id: _one_at_a_time(row, rules_for(row.organization_id)) for row in rows}
        ingest_batch.write_outcomes(outcomes)
        _announce(rows, outcomes)


def _announce(rows: list[ingest_batch.ClaimedEvent], outcomes: dict[int, ingest_batch.Outcome]) -> None:
    """One signal per organization for the events of the batch now on contact timelines (what
    workflows triggered by tracked events look at)."""
    processed: dict[int, list[int]] = {}
    for row in rows:
        if row.id in outcomes and outcomes[row.id][2] is None:
            processed.setdefault(row.organization_id, []).append(row.id)
    for org_id, ids in processed.items():
        signals.emit(signals.tracked_events_processed, org_id=org_id, ids=ids)


def _log_batch_failure(rows: list) -> None:
    log.exception("a batch of %d incoming events failed as a whole: one at a time now", len(rows))


def _one_at_a_time(row: ingest_batch.ClaimedEvent, rules: list[TagRule]) -> ingest_batch.Outcome:
    try:
        with db.atomic():
            contact, activity_id = _process_one(row, rules)
    except (IngestError, contacts.ContactError) as exc:
        return None, None, str(exc)
    except Exception as exc:  # noqa: BLE001 - recorded on the row for the integrator
        log.exception("incoming event %s failed", row.id)
        return None, None, f"Internal error while processing ({type(exc).__name__}); it will not be retried."
    return contact.id, activity_id, None


def _process_one(row: ingest_batch.ClaimedEvent, rules: list[TagRule]) -> tuple[Contact, int]:
    if row.type not in EVENT_TYPES:
        raise IngestError(f"Unknown event type {row.type!r}.")
    contact = _contact_for(row)
    dedupe_key = f"ingest:{row.id}"
    activity = contacts.record_activity(
        contact,
        row.type,
        occurred_at=row.occurred_at,
        summary=verbatim(summary_of(row)),
        data={"properties": row.properties or {}, "incoming_id": row.id, "source": "api"},
        dedupe_key=dedupe_key,
    )
    if activity is None:  # already recorded by an earlier run of this event
        activity = Activity.get((Activity.organization == row.organization_id) & (Activity.dedupe_key == dedupe_key))
    for rule in rules:
        if rule_matches(rule, row.type, row.properties or {}):
            if rule.action == "add":
                contacts.add_label(contact, rule.label)
            else:
                contacts.remove_label(contact, rule.label)
    return contact, activity.id


def _contact_for(row: ingest_batch.ClaimedEvent) -> Contact:
    if row.email:
        return contacts.upsert_contact(row.organization_id, row.email, user_id=row.user_id, source="ingest")
    contact = Contact.get_or_none((Contact.organization == row.organization_id) & (Contact.user_id == row.user_id))
    if contact is None:
        raise IngestError(f"No contact has user_id {row.user_id!r} yet: send the email with this person's first event.")
    return contact


def summary_of(row: ingest_batch.ClaimedEvent) -> str:
    label = row.type.replace("_", " ").capitalize()
    name = (row.properties or {}).get("name") or (row.properties or {}).get("plan")
    return f"{label}: {name}"[:300] if isinstance(name, str) and name else label


# Tag rules ---------------------------------------------------------------------------------------


def active_rules(org_id: int) -> list[TagRule]:
    return list(TagRule.for_org(org_id).where(TagRule.active == True).order_by(TagRule.id))  # noqa: E712


def property_text(value) -> str:
    """How a property value compares with a rule's text: true/false, numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def rule_matches(rule: TagRule, event_type: str, properties: dict) -> bool:
    if rule.event_type != event_type:
        return False
    if not rule.property_name:
        return True
    if rule.property_name not in properties:
        return False
    return property_text(properties[rule.property_name]) == (rule.property_value or "")


def create_tag_rule(
    org_id: int,
    *,
    event_type: str,
    action: str,
    label: str,
    property_name: str = "",
    property_value: str = "",
    actor=None,
) -> TagRule:
    if event_type not in EVENT_TYPES:
        raise contacts.ContactError("Choose an event type.", "event_type")
    if action not in TAG_ACTIONS:
        raise contacts.ContactError("Choose add or remove.", "action")
    label = contacts.clean_label_name(label)
    property_name = (property_name or "").strip()
    property_value = (property_value or "").strip()
    if property_value and not property_name:
        raise contacts.ContactError("Name the property the value is compared with.", "property_name")
    with db.atomic():
        rule = TagRule.create(
            organization=org_id,
            event_type=event_type,
            property_name=property_name or None,
            property_value=property_value if property_name else None,
            action=action,
            label=label,
        )
        audit.record(org_id, "tag_rule.create", user=actor, target=rule, summary=describe_rule(rule))
    return rule


def delete_tag_rule(rule: TagRule, *, actor=None) -> None:
    with db.atomic():
        audit.record(rule.organization_id, "tag_rule.delete", user=actor, target=rule, summary=describe_rule(rule))
        rule.delete_instance()


def set_tag_rule_active(rule: TagRule, active: bool, *, actor=None) -> None:
    with db.atomic():
        changes = audit.diff(rule, {"active": active})
        if changes:
            rule.save()
            audit.record(
                rule.organization_id,
                "tag_rule.update",
                user=actor,
                target=rule,
                summary=describe_rule(rule),
                changes=changes,
            )


def describe_rule(rule: TagRule) -> StoredText:
    """ "When signup with plan = pro → add label Pro" (shown with `render_stored`)."""
    names = {"event": rule.event_type, "label": rule.label}
    if rule.property_name:
        names.update(property=rule.property_name, value=rule.property_value or "")
        if rule.action == "add":
            return stored_text("When %(event)s with %(property)s = %(value)s → add label %(label)s", **names)
        return stored_text("When %(event)s with %(property)s = %(value)s → remove label %(label)s", **names)
    if rule.action == "add":
        return stored_text("When %(event)s → add label %(label)s", **names)
    return stored_text("When %(event)s → remove label %(label)s", **names)
