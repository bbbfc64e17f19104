"""Per-hour engagement figures of each send (webapp/mail/models.py EngagementHour), kept as opens and
clicks are recorded so a campaign's report reads a few hundred rows instead of every hit; filled
here from the hits recorded so far."""

import hashlib

import peewee

from webapp.migrate import run_sql

_COLUMNS = (
    '"organization_id" INTEGER NOT NULL, "send_key" VARCHAR(64) NOT NULL, "kind" VARCHAR(8) NOT NULL, '
    '"machine" {bool} NOT NULL, "url" VARCHAR(2000) NOT NULL, "url_hash" VARCHAR(64) NOT NULL, '
    '"hour" {ts} NOT NULL, "hits" INTEGER NOT NULL, "firsts" INTEGER NOT NULL, "firsts_any" INTEGER NOT NULL, '
    'FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE'
)
_INDEXES = [
    'CREATE INDEX "engagement_hour_organization_id" ON "engagement_hour" ("organization_id")',
    'CREATE UNIQUE INDEX "engagement_hour_send_key_kind_machine_hour_url_hash" ON "engagement_hour" ("send_key", "kind", "machine", "hour", "url_hash")',
]
# The backfill: what tracking.py would have added hit by hit (a hit is the first of its message
# for its kind and machine flag, or for its kind at all, by id order).
_FILL = (
    'INSERT INTO "engagement_hour" ("organization_id", "send_key", "kind", "machine", "url", "url_hash", "hour", '
    '"hits", "firsts", "firsts_any") '
    'SELECT MIN("organization_id"), "send_key", "kind", "machine", COALESCE("url", \'\'), {hash}, {hour}, COUNT(*), '
    'SUM(CASE WHEN "nth_machine" = 1 THEN 1 ELSE 0 END), SUM(CASE WHEN "nth_any" = 1 THEN 1 ELSE 0 END) '
    'FROM (SELECT e.*, ROW_NUMBER() OVER (PARTITION BY "outbox_id", "kind", "machine" ORDER BY "id") AS "nth_machine", '
    'ROW_NUMBER() OVER (PARTITION BY "outbox_id", "kind" ORDER BY "id") AS "nth_any" '
    'FROM "mail_engagement" e WHERE "send_key" IS NOT NULL) hits '
    'GROUP BY "send_key", "kind", "machine", "url", {hour}'
)

SQL = {
    "sqlite": [
        'CREATE TABLE "engagement_hour" ("id" INTEGER NOT NULL PRIMARY KEY, '
        + _COLUMNS.format(bool="INTEGER", ts="DATETIME")
        + ")",
        *_INDEXES,
    ],
    "postgresql": [
        'CREATE TABLE "engagement_hour" ("id" SERIAL NOT NULL PRIMARY KEY, '
        + _COLUMNS.format(bool="BOOLEAN", ts="TIMESTAMP")
        + ")",
        *_INDEXES,
        _FILL.format(
            hash="CASE WHEN \"url\" IS NULL THEN '' ELSE encode(sha256(convert_to(\"url\", 'UTF8')), 'hex') END",
            hour="date_trunc('hour', \"occurred_at\")",
        ),
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
    if not isinstance(db, peewee.PostgresqlDatabase):
        _fill_sqlite(db)


def _fill_sqlite(db):
    """SQLite has no SHA-256 function: the URL's hash is computed here."""
    db.register_function(lambda url: hashlib.sha256(url.encode()).hexdigest() if url else "", "rollcall_sha256", 1)
    db.execute_sql(_FILL.format(hash='rollcall_sha256("url")', hour="substr(\"occurred_at\", 1, 13) || ':00:00'"))
