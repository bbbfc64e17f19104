"""Mail bounces."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'CREATE TABLE "mail_bounce" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "outbox_id" INTEGER, "campaign_id" INTEGER, "contact_id" INTEGER, "email" VARCHAR(254) NOT NULL, "kind" VARCHAR(16) NOT NULL, "action" VARCHAR(16) NOT NULL, "status" VARCHAR(16) NOT NULL, "diagnostic" TEXT NOT NULL, "found_by" VARCHAR(16) NOT NULL, "retry_outbox_id" INTEGER, "received_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "mail_bounce_organization_id" ON "mail_bounce" ("organization_id")',
        'CREATE INDEX "mail_bounce_organization_id_received_at" ON "mail_bounce" ("organization_id", "received_at")',
        'CREATE INDEX "mail_bounce_outbox_id_kind" ON "mail_bounce" ("outbox_id", "kind")',
        'CREATE INDEX "mail_bounce_campaign_id_kind" ON "mail_bounce" ("campaign_id", "kind")',
    ],
    "postgresql": [
        'CREATE TABLE "mail_bounce" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "outbox_id" INTEGER, "campaign_id" INTEGER, "contact_id" INTEGER, "email" VARCHAR(254) NOT NULL, "kind" VARCHAR(16) NOT NULL, "action" VARCHAR(16) NOT NULL, "status" VARCHAR(16) NOT NULL, "diagnostic" TEXT NOT NULL, "found_by" VARCHAR(16) NOT NULL, "retry_outbox_id" INTEGER, "received_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "mail_bounce_organization_id" ON "mail_bounce" ("organization_id")',
        'CREATE INDEX "mail_bounce_organization_id_received_at" ON "mail_bounce" ("organization_id", "received_at")',
        'CREATE INDEX "mail_bounce_outbox_id_kind" ON "mail_bounce" ("outbox_id", "kind")',
        'CREATE INDEX "mail_bounce_campaign_id_kind" ON "mail_bounce" ("campaign_id", "kind")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
