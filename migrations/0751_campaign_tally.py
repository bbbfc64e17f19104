"""Campaign recipient counters (webapp/campaigns/tally.py), kept with every status change so a
report reads a dozen rows instead of every recipient; filled here from the recipients so far."""

from webapp.migrate import run_sql

_COLUMNS = (
    '"organization_id" INTEGER NOT NULL, "campaign_id" INTEGER NOT NULL, "key" VARCHAR(48) NOT NULL, '
    '"value" INTEGER NOT NULL, '
    'FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("campaign_id") REFERENCES "campaign" ("id") ON DELETE CASCADE'
)
_INDEXES = [
    'CREATE INDEX "campaign_tally_organization_id" ON "campaign_tally" ("organization_id")',
    'CREATE INDEX "campaign_tally_campaign_id" ON "campaign_tally" ("campaign_id")',
    'CREATE UNIQUE INDEX "campaign_tally_campaign_id_key" ON "campaign_tally" ("campaign_id", "key")',
]
# What tally.recount counts: each status, skipped ones by reason, recipients with a soft failure,
# unsubscribes and complaints.
_FILL = [
    'INSERT INTO "campaign_tally" ("organization_id", "campaign_id", "key", "value") '
    'SELECT MIN("organization_id"), "campaign_id", "status", COUNT(*) FROM "campaign_recipient" '
    'GROUP BY "campaign_id", "status"',
    'INSERT INTO "campaign_tally" ("organization_id", "campaign_id", "key", "value") '
    'SELECT MIN("organization_id"), "campaign_id", \'skipped:\' || COALESCE("skip_reason", \'other\'), COUNT(*) '
    'FROM "campaign_recipient" WHERE "status" = \'skipped\' '
    'GROUP BY "campaign_id", COALESCE("skip_reason", \'other\')',
    'INSERT INTO "campaign_tally" ("organization_id", "campaign_id", "key", "value") '
    'SELECT MIN("organization_id"), "campaign_id", \'soft\', COUNT(*) FROM "campaign_recipient" '
    'WHERE "soft_failures" > 0 GROUP BY "campaign_id"',
    'INSERT INTO "campaign_tally" ("organization_id", "campaign_id", "key", "value") '
    'SELECT MIN("organization_id"), "campaign_id", \'unsubscribed\', COUNT(*) FROM "campaign_recipient" '
    'WHERE "unsubscribed_at" IS NOT NULL GROUP BY "campaign_id"',
    'INSERT INTO "campaign_tally" ("organization_id", "campaign_id", "key", "value") '
    'SELECT MIN("organization_id"), "campaign_id", \'complained\', COUNT(*) FROM "campaign_recipient" '
    'WHERE "complained_at" IS NOT NULL GROUP BY "campaign_id"',
]

SQL = {
    "sqlite": [
        'CREATE TABLE "campaign_tally" ("id" INTEGER NOT NULL PRIMARY KEY, ' + _COLUMNS + ")",
        *_INDEXES,
        *_FILL,
    ],
    "postgresql": [
        'CREATE TABLE "campaign_tally" ("id" SERIAL NOT NULL PRIMARY KEY, ' + _COLUMNS + ")",
        *_INDEXES,
        *_FILL,
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
