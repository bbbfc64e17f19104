"""Campaign recipients who unsubscribed or complained; single sends (transmissions) and their
metadata; each open and click carries its message's send key (filled in for those recorded before)."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'ALTER TABLE "campaign_recipient" ADD COLUMN "unsubscribed_at" DATETIME',
        'ALTER TABLE "campaign_recipient" ADD COLUMN "complained_at" DATETIME',
        'CREATE INDEX "campaign_recipient_organization_id_sent_at" ON "campaign_recipient" ("organization_id", "sent_at")',
        'ALTER TABLE "mail_engagement" ADD COLUMN "send_key" VARCHAR(64)',
        'UPDATE "mail_engagement" SET "send_key" = (SELECT "send_key" FROM "outbox" WHERE "outbox"."id" = "mail_engagement"."outbox_id")',
        'CREATE INDEX "mail_engagement_send_key_kind_machine_outbox_id" ON "mail_engagement" ("send_key", "kind", "machine", "outbox_id")',
        'CREATE TABLE "transmission" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "outbox_id" INTEGER NOT NULL, "metadata" TEXT NOT NULL, "created_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "transmission_organization_id" ON "transmission" ("organization_id")',
        'CREATE UNIQUE INDEX "transmission_outbox_id" ON "transmission" ("outbox_id")',
    ],
    "postgresql": [
        'ALTER TABLE "campaign_recipient" ADD COLUMN "unsubscribed_at" TIMESTAMP',
        'ALTER TABLE "campaign_recipient" ADD COLUMN "complained_at" TIMESTAMP',
        'CREATE INDEX "campaign_recipient_organization_id_sent_at" ON "campaign_recipient" ("organization_id", "sent_at")',
        'ALTER TABLE "mail_engagement" ADD COLUMN "send_key" VARCHAR(64)',
        'UPDATE "mail_engagement" SET "send_key" = (SELECT "send_key" FROM "outbox" WHERE "outbox"."id" = "mail_engagement"."outbox_id")',
        'CREATE INDEX "mail_engagement_send_key_kind_machine_outbox_id" ON "mail_engagement" ("send_key", "kind", "machine", "outbox_id")',
        'CREATE TABLE "transmission" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "outbox_id" INTEGER NOT NULL, "metadata" TEXT NOT NULL, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "transmission_organization_id" ON "transmission" ("organization_id")',
        'CREATE UNIQUE INDEX "transmission_outbox_id" ON "transmission" ("outbox_id")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
