"""The work engine: one table of durable work items. Signals waiting in the old signal outbox become
work items; pending webhook deliveries, queued contact imports and queued badge builds get the
work item that runs them (they were Huey tasks, which a restart could lose)."""

from webapp.migrate import run_sql

_ITEM = (
    '"kind" VARCHAR(64) NOT NULL, "payload" TEXT NOT NULL, "priority" SMALLINT NOT NULL, '
    '"run_after" {ts} NOT NULL, "attempts" INTEGER NOT NULL, "max_attempts" INTEGER NOT NULL, '
    '"lease" VARCHAR(16), "leased_until" {ts}, "last_error" TEXT, "dead_at" {ts}, "created_at" {ts} NOT NULL'
)
_COLUMNS = '"kind", "payload", "priority", "run_after", "attempts", "max_attempts", "created_at"'


def _moves(now: str) -> list[str]:
    return [
        f"INSERT INTO \"work_item\" ({_COLUMNS}) SELECT 'signal', "
        '\'{"kwargs":\' || "payload" || \',"signal":"\' || "signal" || \'"}\', 100, "created_at", 0, 8, "created_at" '
        'FROM "signal_outbox" ORDER BY "id"',
        'DROP TABLE "signal_outbox"',
        f"INSERT INTO \"work_item\" ({_COLUMNS}) SELECT 'webhook.deliver', "
        '\'{"delivery_id":\' || CAST("id" AS TEXT) || \'}\', 100, "next_attempt_at", 0, 8, ' + now + " "
        'FROM "webhook_delivery" WHERE "state" = \'pending\'',
        f"INSERT INTO \"work_item\" ({_COLUMNS}) SELECT 'contacts.run_import', "
        "'{\"import_id\":' || CAST(\"id\" AS TEXT) || '}', 0, " + now + ", 0, 8, " + now + " "
        'FROM "contact_import" WHERE "state" = \'queued\'',
        f"INSERT INTO \"work_item\" ({_COLUMNS}) SELECT 'tickets.build_badges', "
        "'{\"job_id\":' || CAST(\"id\" AS TEXT) || '}', 0, " + now + ", 0, 8, " + now + " "
        'FROM "badge_job" WHERE "status" = \'queued\'',
    ]


SQL = {
    "sqlite": [
        'CREATE TABLE "work_item" ("id" INTEGER NOT NULL PRIMARY KEY, ' + _ITEM.format(ts="DATETIME") + ")",
        'CREATE INDEX "work_item_dead_at_priority_run_after" ON "work_item" ("dead_at", "priority", "run_after")',
        *_moves("CURRENT_TIMESTAMP"),
    ],
    "postgresql": [
        'CREATE TABLE "work_item" ("id" SERIAL NOT NULL PRIMARY KEY, ' + _ITEM.format(ts="TIMESTAMP") + ")",
        'CREATE INDEX "work_item_dead_at_priority_run_after" ON "work_item" ("dead_at", "priority", "run_after")',
        *_moves("(now() AT TIME ZONE 'utc')"),
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
