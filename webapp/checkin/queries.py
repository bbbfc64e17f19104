"""The statements a door scan runs, each compiled to SQL once per database (webapp.db.Prepared):
building a peewee query's SQL costs more than running it, and a busy door runs these many times a
second. Each is named after what it finds or does; the rules that use them live in service.py."""

from __future__ import annotations

import peewee as pw

from webapp.catalog.models import Product, Question
from webapp.checkin.models import Attendance, Checkin, CheckinList
from webapp.db import Prepared, Slot
from webapp.events.models import Event
from webapp.orders.models import Order, Registrant


def _event_in_org(*also: pw.Field) -> pw.ModelSelect:
    """What a scan needs to know of an event (the row is wide and the door asks on every scan),
    with the event's default list riding along as `default_list` (None before anyone asked for
    it), and `also` the columns of what a caller joins to it."""
    return (
        Event.select(Event.id, Event.organization, Event.name, Event.timezone, CheckinList, *also)
        .join(
            CheckinList,
            pw.JOIN.LEFT_OUTER,
            on=(CheckinList.event == Event.id) & (CheckinList.is_default == True),  # noqa: E712
            attr="default_list",
        )
        .where((Event.id == Slot("id")) & (Event.organization == Slot("org")))
        .order_by(CheckinList.id)
        .limit(1)
    )


EVENT_IN_ORG = Prepared(_event_in_org)

DEFAULT_LIST = Prepared(
    lambda: (
        CheckinList.select()
        .where((CheckinList.event == Slot("event")) & (CheckinList.is_default == True))  # noqa: E712
        .order_by(CheckinList.id)
        .limit(1)
    )
)

# The ticket holder with their order and ticket type, in narrow columns.
_HOLDER_COLUMNS = (
    Registrant.id, Registrant.organization, Registrant.event, Registrant.order, Registrant.product,
    Registrant.contact, Registrant.group, Registrant.name, Registrant.email, Registrant.answers,
    Registrant.ticket_secret, Registrant.canceled, Registrant.blocked, Registrant.checked_in_at,
    Order.id, Order.code, Order.status, Order.approval, Order.flag, Order.flag_i18n, Order.answers, Order.total, Order.currency,
    Product.id, Product.name, Product.admits_entry,
)  # fmt: skip


def _holders() -> pw.ModelSelect:
    return Registrant.select(*_HOLDER_COLUMNS).join(Order).switch(Registrant).join(Product)


HOLDER_BY_SECRET = Prepared(lambda: _holders().where(Registrant.ticket_secret == Slot("secret")).limit(1))

# A scan's first statement: EVENT_IN_ORG with the holder of the scanned secret riding along as
# `scanned` (None when no ticket has that secret). The holder may be of any event or
# organization, as HOLDER_BY_SECRET's: the service decides what the door may know of them.
EVENT_WITH_HOLDER = Prepared(
    lambda: (
        _event_in_org(*_HOLDER_COLUMNS)
        .switch(Event)
        .join(Registrant, pw.JOIN.LEFT_OUTER, on=(Registrant.ticket_secret == Slot("secret")), attr="scanned")
        .join(Order, pw.JOIN.LEFT_OUTER)
        .switch(Registrant)
        .join(Product, pw.JOIN.LEFT_OUTER)
    )
)
HOLDER_BY_ID = Prepared(lambda: _holders().where(Registrant.id == Slot("id")).limit(1))

ATTENDANCE = Prepared(
    lambda: (
        Attendance.select()
        .where((Attendance.checkin_list == Slot("list")) & (Attendance.registrant == Slot("registrant")))
        .limit(1)
    )
)


def _entry(allowed: pw.Expression | None) -> pw.Insert:
    """Claim an entry in one statement: insert the attendance row, or update it when `allowed`
    holds for the stored row. RETURNING gives a row only when something was written, so the
    number of rows back says whether this scan won."""
    now = Slot("now", Attendance.updated_at.db_value)
    return (
        Attendance.insert(
            organization=Slot("org"),
            checkin_list=Slot("list"),
            registrant=Slot("registrant"),
            entries=1,
            inside=True,
            last_entry_at=now,
            last_gate=Slot("gate"),
            updated_at=now,
        )
        .on_conflict(
            conflict_target=(Attendance.checkin_list, Attendance.registrant),
            update={
                Attendance.entries: Attendance.entries + 1,
                Attendance.inside: True,
                Attendance.last_entry_at: now,
                Attendance.last_gate: Slot("gate"),
                Attendance.updated_at: now,
            },
            where=allowed,
        )
        .returning(Attendance.id)
    )


def _first_entry() -> pw.Insert:
    """Single entry: only a registrant never let in on this list gets in."""
    return _entry(Attendance.entries == 0)


def _entry_when_outside() -> pw.Insert:
    """Single entry with exit scans: back in only after an exit."""
    return _entry((Attendance.entries == 0) | (Attendance.inside == False))  # noqa: E712


def _any_entry() -> pw.Insert:
    """Multi-entry lists and forced entries: always."""
    return _entry(None)


FIRST_ENTRY = Prepared(_first_entry)
ENTRY_WHEN_OUTSIDE = Prepared(_entry_when_outside)
ANY_ENTRY = Prepared(_any_entry)


def _admission(entry: pw.Insert) -> tuple[str, list]:
    """PostgreSQL: a whole admission in one statement (data-modifying CTEs): claim the entry as
    `entry` does and, only when the claim wrote a row, log the `ok` scan, mark the registrant
    attended and record the checked-in signal's work item. Answers one row (the log's id, whether
    the registrant was marked now) when admitted, none when the claim lost. A nonce already in
    the log fails the whole statement: nothing is written. `queued`: the work item's time, in the
    work engine's whole seconds (a scan's own time has microseconds)."""
    claim, params = entry.sql()
    now = Slot("now", Checkin.created_at.db_value)
    sql = f"""WITH claim AS ({claim}),
logged AS (
    INSERT INTO "checkin" ("organization_id", "event_id", "checkin_list_id", "registrant_id", "kind",
        "result", "reason", "gate", "user_id", "nonce", "forced", "force_reason", "data", "created_at")
    SELECT %s::integer, %s::integer, %s::integer, %s::integer, 'entry', 'ok', NULL, %s::text,
        %s::integer, %s::text, false, NULL, '{{}}', %s::timestamp FROM claim
    RETURNING "id"),
attended AS (
    UPDATE "registrant" SET "checked_in_at" = %s::timestamp
    WHERE "id" = %s::integer AND "checked_in_at" IS NULL AND EXISTS (SELECT 1 FROM claim)
    RETURNING "id"),
announced AS (
    INSERT INTO "work_item" ("kind", "payload", "priority", "run_after", "attempts", "max_attempts",
        "created_at")
    SELECT %s::text, %s::text || "id"::text || %s::text, %s::integer, %s::timestamp, 0, 8,
        %s::timestamp FROM logged)
SELECT "id", EXISTS (SELECT 1 FROM attended) FROM logged"""
    params = [
        *params,
        *(Slot("org"), Slot("event"), Slot("list"), Slot("registrant"), Slot("gate"), Slot("user"), Slot("nonce"), now),
        *(now, Slot("registrant")),
        *(Slot("kind"), Slot("payload_head"), Slot("payload_tail"), Slot("priority"), Slot("queued"), Slot("queued")),
    ]
    return sql, params


ADMIT_FIRST_ENTRY = Prepared(lambda: _admission(_first_entry()))
ADMIT_WHEN_OUTSIDE = Prepared(lambda: _admission(_entry_when_outside()))
ADMIT_ANY_ENTRY = Prepared(lambda: _admission(_any_entry()))

LOG_SCAN = Prepared(
    lambda: Checkin.insert(
        organization=Slot("org"),
        event=Slot("event"),
        checkin_list=Slot("list"),
        registrant=Slot("registrant"),
        kind=Slot("kind"),
        result=Slot("result"),
        reason=Slot("reason"),
        gate=Slot("gate"),
        user=Slot("user"),
        nonce=Slot("nonce"),
        forced=Slot("forced"),
        force_reason=Slot("force_reason"),
        data=Slot("data", Checkin.data.db_value),
        created_at=Slot("created_at", Checkin.created_at.db_value),
    ).returning(Checkin.id)
)

MARK_ATTENDED = Prepared(
    lambda: Registrant.update(checked_in_at=Slot("at", Registrant.checked_in_at.db_value)).where(
        (Registrant.id == Slot("id")) & Registrant.checked_in_at.is_null()
    )
)

SCAN_BY_NONCE = Prepared(
    lambda: Checkin.select().where((Checkin.checkin_list == Slot("list")) & (Checkin.nonce == Slot("nonce"))).limit(1)
)

QUESTIONS_SHOWN_AT_CHECKIN = Prepared(
    lambda: (
        Question.select(Question.id, Question.label, Question.per_attendee)
        .where((Question.event == Slot("event")) & (Question.show_at_checkin == True))  # noqa: E712
        .order_by(Question.position, Question.id)
    )
)
