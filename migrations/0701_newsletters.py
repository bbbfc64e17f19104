"""Newsletters and their subscriptions (double opt-in); the newsletter an event's registration form offers."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'ALTER TABLE "event" ADD COLUMN "newsletter_id" INTEGER',
        'CREATE TABLE "newsletter" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "name" VARCHAR(200) NOT NULL, "description" TEXT NOT NULL, "public_key" VARCHAR(32) NOT NULL, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "newsletter_organization_id" ON "newsletter" ("organization_id")',
        'CREATE UNIQUE INDEX "newsletter_public_key" ON "newsletter" ("public_key")',
        'CREATE TABLE "newsletter_subscription" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "newsletter_id" INTEGER NOT NULL, "contact_id" INTEGER NOT NULL, "state" VARCHAR(16) NOT NULL, "source" VARCHAR(16) NOT NULL, "token" VARCHAR(64) NOT NULL, "requested_at" DATETIME NOT NULL, "confirmed_at" DATETIME, "unsubscribed_at" DATETIME, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("newsletter_id") REFERENCES "newsletter" ("id") ON DELETE CASCADE, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "newsletter_subscription_organization_id" ON "newsletter_subscription" ("organization_id")',
        'CREATE INDEX "newsletter_subscription_newsletter_id" ON "newsletter_subscription" ("newsletter_id")',
        'CREATE INDEX "newsletter_subscription_contact_id" ON "newsletter_subscription" ("contact_id")',
        'CREATE UNIQUE INDEX "newsletter_subscription_token" ON "newsletter_subscription" ("token")',
        'CREATE UNIQUE INDEX "newsletter_subscription_newsletter_id_contact_id" ON "newsletter_subscription" ("newsletter_id", "contact_id")',
        'CREATE INDEX "newsletter_subscription_newsletter_id_state_contact_id" ON "newsletter_subscription" ("newsletter_id", "state", "contact_id")',
    ],
    "postgresql": [
        'ALTER TABLE "event" ADD COLUMN "newsletter_id" INTEGER',
        'CREATE TABLE "newsletter" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "name" VARCHAR(200) NOT NULL, "description" TEXT NOT NULL, "public_key" VARCHAR(32) NOT NULL, "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "newsletter_organization_id" ON "newsletter" ("organization_id")',
        'CREATE UNIQUE INDEX "newsletter_public_key" ON "newsletter" ("public_key")',
        'CREATE TABLE "newsletter_subscription" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "newsletter_id" INTEGER NOT NULL, "contact_id" INTEGER NOT NULL, "state" VARCHAR(16) NOT NULL, "source" VARCHAR(16) NOT NULL, "token" VARCHAR(64) NOT NULL, "requested_at" TIMESTAMP NOT NULL, "confirmed_at" TIMESTAMP, "unsubscribed_at" TIMESTAMP, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("newsletter_id") REFERENCES "newsletter" ("id") ON DELETE CASCADE, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "newsletter_subscription_organization_id" ON "newsletter_subscription" ("organization_id")',
        'CREATE INDEX "newsletter_subscription_newsletter_id" ON "newsletter_subscription" ("newsletter_id")',
        'CREATE INDEX "newsletter_subscription_contact_id" ON "newsletter_subscription" ("contact_id")',
        'CREATE UNIQUE INDEX "newsletter_subscription_token" ON "newsletter_subscription" ("token")',
        'CREATE UNIQUE INDEX "newsletter_subscription_newsletter_id_contact_id" ON "newsletter_subscription" ("newsletter_id", "contact_id")',
        'CREATE INDEX "newsletter_subscription_newsletter_id_state_contact_id" ON "newsletter_subscription" ("newsletter_id", "state", "contact_id")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
