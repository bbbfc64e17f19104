"""Campaigns."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'ALTER TABLE "organization" ADD COLUMN "postal_address" TEXT NOT NULL DEFAULT \'\'',
        'ALTER TABLE "organization" ADD COLUMN "engagement_window_days" INTEGER NOT NULL DEFAULT 7',
        'ALTER TABLE "organization" ADD COLUMN "campaign_rate_per_minute" INTEGER NOT NULL DEFAULT 6000',
        'ALTER TABLE "organization" ADD COLUMN "campaign_failure_limit" INTEGER NOT NULL DEFAULT 10',
        'CREATE TABLE "campaign" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "name" VARCHAR(200) NOT NULL, "subject" VARCHAR(500) NOT NULL, "from_name" VARCHAR(200) NOT NULL, "from_email" VARCHAR(254) NOT NULL, "reply_to" VARCHAR(254) NOT NULL, "preheader" VARCHAR(300) NOT NULL, "body_html" TEXT NOT NULL, "body_text" TEXT NOT NULL, "body_blocks" TEXT, "template_id" INTEGER, "audience" TEXT NOT NULL, "state" VARCHAR(16) NOT NULL, "send_at" DATETIME, "send_time_optimization" INTEGER NOT NULL, "track_opens" INTEGER NOT NULL, "track_clicks" INTEGER NOT NULL, "category" VARCHAR(80) NOT NULL, "created_by_id" INTEGER, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, "sent_at" DATETIME, "finished_at" DATETIME, "reported_at" DATETIME, "paused_reason" TEXT, "job_id" INTEGER, "recipient_count" INTEGER NOT NULL, "report" TEXT, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "campaign_organization_id" ON "campaign" ("organization_id")',
        'CREATE INDEX "campaign_created_by_id" ON "campaign" ("created_by_id")',
        'CREATE INDEX "campaign_organization_id_state" ON "campaign" ("organization_id", "state")',
        'CREATE INDEX "campaign_state_send_at" ON "campaign" ("state", "send_at")',
        'CREATE TABLE "campaign_recipient" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "campaign_id" INTEGER NOT NULL, "contact_id" INTEGER NOT NULL, "email" VARCHAR(254) NOT NULL, "status" VARCHAR(8) NOT NULL, "skip_reason" VARCHAR(32), "message_id" VARCHAR(255), "outbox_id" INTEGER, "attempts" INTEGER NOT NULL, "soft_failures" INTEGER NOT NULL, "next_attempt_at" DATETIME, "scheduled_for" DATETIME, "sent_at" DATETIME, "error" TEXT, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("campaign_id") REFERENCES "campaign" ("id") ON DELETE CASCADE, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "campaign_recipient_organization_id" ON "campaign_recipient" ("organization_id")',
        'CREATE INDEX "campaign_recipient_campaign_id" ON "campaign_recipient" ("campaign_id")',
        'CREATE INDEX "campaign_recipient_contact_id" ON "campaign_recipient" ("contact_id")',
        'CREATE INDEX "campaign_recipient_outbox_id" ON "campaign_recipient" ("outbox_id")',
        'CREATE UNIQUE INDEX "campaign_recipient_campaign_id_contact_id" ON "campaign_recipient" ("campaign_id", "contact_id")',
        'CREATE INDEX "campaign_recipient_campaign_id_status_id" ON "campaign_recipient" ("campaign_id", "status", "id")',
        'CREATE INDEX "campaign_recipient_campaign_id_sent_at" ON "campaign_recipient" ("campaign_id", "sent_at")',
    ],
    "postgresql": [
        'ALTER TABLE "organization" ADD COLUMN "postal_address" TEXT NOT NULL DEFAULT \'\'',
        'ALTER TABLE "organization" ADD COLUMN "engagement_window_days" INTEGER NOT NULL DEFAULT 7',
        'ALTER TABLE "organization" ADD COLUMN "campaign_rate_per_minute" INTEGER NOT NULL DEFAULT 6000',
        'ALTER TABLE "organization" ADD COLUMN "campaign_failure_limit" INTEGER NOT NULL DEFAULT 10',
        'CREATE TABLE "campaign" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "name" VARCHAR(200) NOT NULL, "subject" VARCHAR(500) NOT NULL, "from_name" VARCHAR(200) NOT NULL, "from_email" VARCHAR(254) NOT NULL, "reply_to" VARCHAR(254) NOT NULL, "preheader" VARCHAR(300) NOT NULL, "body_html" TEXT NOT NULL, "body_text" TEXT NOT NULL, "body_blocks" TEXT, "template_id" INTEGER, "audience" TEXT NOT NULL, "state" VARCHAR(16) NOT NULL, "send_at" TIMESTAMP, "send_time_optimization" BOOLEAN NOT NULL, "track_opens" BOOLEAN NOT NULL, "track_clicks" BOOLEAN NOT NULL, "category" VARCHAR(80) NOT NULL, "created_by_id" INTEGER, "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, "sent_at" TIMESTAMP, "finished_at" TIMESTAMP, "reported_at" TIMESTAMP, "paused_reason" TEXT, "job_id" INTEGER, "recipient_count" INTEGER NOT NULL, "report" TEXT, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "campaign_organization_id" ON "campaign" ("organization_id")',
        'CREATE INDEX "campaign_created_by_id" ON "campaign" ("created_by_id")',
        'CREATE INDEX "campaign_organization_id_state" ON "campaign" ("organization_id", "state")',
        'CREATE INDEX "campaign_state_send_at" ON "campaign" ("state", "send_at")',
        'CREATE TABLE "campaign_recipient" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "campaign_id" INTEGER NOT NULL, "contact_id" INTEGER NOT NULL, "email" VARCHAR(254) NOT NULL, "status" VARCHAR(8) NOT NULL, "skip_reason" VARCHAR(32), "message_id" VARCHAR(255), "outbox_id" INTEGER, "attempts" INTEGER NOT NULL, "soft_failures" INTEGER NOT NULL, "next_attempt_at" TIMESTAMP, "scheduled_for" TIMESTAMP, "sent_at" TIMESTAMP, "error" TEXT, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("campaign_id") REFERENCES "campaign" ("id") ON DELETE CASCADE, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "campaign_recipient_organization_id" ON "campaign_recipient" ("organization_id")',
        'CREATE INDEX "campaign_recipient_campaign_id" ON "campaign_recipient" ("campaign_id")',
        'CREATE INDEX "campaign_recipient_contact_id" ON "campaign_recipient" ("contact_id")',
        'CREATE INDEX "campaign_recipient_outbox_id" ON "campaign_recipient" ("outbox_id")',
        'CREATE UNIQUE INDEX "campaign_recipient_campaign_id_contact_id" ON "campaign_recipient" ("campaign_id", "contact_id")',
        'CREATE INDEX "campaign_recipient_campaign_id_status_id" ON "campaign_recipient" ("campaign_id", "status", "id")',
        'CREATE INDEX "campaign_recipient_campaign_id_sent_at" ON "campaign_recipient" ("campaign_id", "sent_at")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
