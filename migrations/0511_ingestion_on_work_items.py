"""Incoming tracked events are processed by work items (recorded with the rows that need them)
instead of claims on the rows: the claim columns go, and the events still pending get one work
item per organization covering their ids (the old item, "process whatever is pending", goes)."""

from webapp.migrate import run_sql

_COLUMNS = '"kind", "payload", "priority", "run_after", "attempts", "max_attempts", "created_at"'
_KIND = "'contacts.process_incoming_events'"


def _statements(now: str) -> list[str]:
    return [
        f'DELETE FROM "work_item" WHERE "kind" = {_KIND}',
        f'INSERT INTO "work_item" ({_COLUMNS}) SELECT {_KIND}, '
        '\'{"first":\' || CAST(MIN("id") AS TEXT) || \',"last":\' || CAST(MAX("id") AS TEXT) || '
        "',\"org\":' || CAST(\"organization_id\" AS TEXT) || '}', 0, " + now + ", 0, 8, " + now + " "
        'FROM "incoming_event" WHERE "status" = \'pending\' GROUP BY "organization_id"',
        'DROP INDEX "incoming_event_status_claim"',
        'ALTER TABLE "incoming_event" DROP COLUMN "claim"',
        'ALTER TABLE "incoming_event" DROP COLUMN "claimed_at"',
    ]


SQL = {"sqlite": _statements("CURRENT_TIMESTAMP"), "postgresql": _statements("(now() AT TIME ZONE 'utc')")}


def upgrade(db, migrator):
    run_sql(db, SQL)
