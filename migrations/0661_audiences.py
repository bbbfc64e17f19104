"""Audiences: per-organization VAPID keys, audiences (an event's or the organization's), browsers' push
subscriptions and the pushes sent to them with their delivery counts."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'CREATE TABLE "audience" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER, "scope" VARCHAR(32) NOT NULL, "created_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "audience_organization_id" ON "audience" ("organization_id")',
        'CREATE INDEX "audience_event_id" ON "audience" ("event_id")',
        'CREATE UNIQUE INDEX "audience_organization_id_scope" ON "audience" ("organization_id", "scope")',
        'CREATE TABLE "push_keys" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "public_key" VARCHAR(100) NOT NULL, "private_key" TEXT NOT NULL, "created_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE)',
        'CREATE UNIQUE INDEX "push_keys_organization_id" ON "push_keys" ("organization_id")',
        'CREATE TABLE "push_message" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "audience_id" INTEGER NOT NULL, "title" VARCHAR(120) NOT NULL, "body" VARCHAR(400) NOT NULL, "url" VARCHAR(1000) NOT NULL, "send_at" DATETIME NOT NULL, "state" VARCHAR(16) NOT NULL, "delivered" INTEGER NOT NULL, "removed" INTEGER NOT NULL, "failed" INTEGER NOT NULL, "checkpoint" INTEGER NOT NULL, "created_by_id" INTEGER, "created_at" DATETIME NOT NULL, "finished_at" DATETIME, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("audience_id") REFERENCES "audience" ("id") ON DELETE CASCADE, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "push_message_organization_id" ON "push_message" ("organization_id")',
        'CREATE INDEX "push_message_audience_id" ON "push_message" ("audience_id")',
        'CREATE INDEX "push_message_created_by_id" ON "push_message" ("created_by_id")',
        'CREATE TABLE "push_subscription" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "audience_id" INTEGER NOT NULL, "endpoint" TEXT NOT NULL, "endpoint_hash" VARCHAR(64) NOT NULL, "p256dh" VARCHAR(128) NOT NULL, "auth" VARCHAR(64) NOT NULL, "contact_id" INTEGER, "created_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("audience_id") REFERENCES "audience" ("id") ON DELETE CASCADE, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "push_subscription_organization_id" ON "push_subscription" ("organization_id")',
        'CREATE INDEX "push_subscription_audience_id" ON "push_subscription" ("audience_id")',
        'CREATE INDEX "push_subscription_contact_id" ON "push_subscription" ("contact_id")',
        'CREATE UNIQUE INDEX "push_subscription_audience_id_endpoint_hash" ON "push_subscription" ("audience_id", "endpoint_hash")',
        'CREATE INDEX "push_subscription_endpoint_hash" ON "push_subscription" ("endpoint_hash")',
    ],
    "postgresql": [
        'CREATE TABLE "audience" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER, "scope" VARCHAR(32) NOT NULL, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "audience_organization_id" ON "audience" ("organization_id")',
        'CREATE INDEX "audience_event_id" ON "audience" ("event_id")',
        'CREATE UNIQUE INDEX "audience_organization_id_scope" ON "audience" ("organization_id", "scope")',
        'CREATE TABLE "push_keys" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "public_key" VARCHAR(100) NOT NULL, "private_key" TEXT NOT NULL, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE)',
        'CREATE UNIQUE INDEX "push_keys_organization_id" ON "push_keys" ("organization_id")',
        'CREATE TABLE "push_message" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "audience_id" INTEGER NOT NULL, "title" VARCHAR(120) NOT NULL, "body" VARCHAR(400) NOT NULL, "url" VARCHAR(1000) NOT NULL, "send_at" TIMESTAMP NOT NULL, "state" VARCHAR(16) NOT NULL, "delivered" INTEGER NOT NULL, "removed" INTEGER NOT NULL, "failed" INTEGER NOT NULL, "checkpoint" INTEGER NOT NULL, "created_by_id" INTEGER, "created_at" TIMESTAMP NOT NULL, "finished_at" TIMESTAMP, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("audience_id") REFERENCES "audience" ("id") ON DELETE CASCADE, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "push_message_organization_id" ON "push_message" ("organization_id")',
        'CREATE INDEX "push_message_audience_id" ON "push_message" ("audience_id")',
        'CREATE INDEX "push_message_created_by_id" ON "push_message" ("created_by_id")',
        'CREATE TABLE "push_subscription" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "audience_id" INTEGER NOT NULL, "endpoint" TEXT NOT NULL, "endpoint_hash" VARCHAR(64) NOT NULL, "p256dh" VARCHAR(128) NOT NULL, "auth" VARCHAR(64) NOT NULL, "contact_id" INTEGER, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("audience_id") REFERENCES "audience" ("id") ON DELETE CASCADE, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "push_subscription_organization_id" ON "push_subscription" ("organization_id")',
        'CREATE INDEX "push_subscription_audience_id" ON "push_subscription" ("audience_id")',
        'CREATE INDEX "push_subscription_contact_id" ON "push_subscription" ("contact_id")',
        'CREATE UNIQUE INDEX "push_subscription_audience_id_endpoint_hash" ON "push_subscription" ("audience_id", "endpoint_hash")',
        'CREATE INDEX "push_subscription_endpoint_hash" ON "push_subscription" ("endpoint_hash")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
