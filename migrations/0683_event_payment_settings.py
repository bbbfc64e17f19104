"""An event's own payment settings over the organization's: the methods it offers, its own bank account."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'CREATE TABLE "event_payment_settings" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "gateways" TEXT, "account_holder" VARCHAR(120) NOT NULL, "bank_name" VARCHAR(120) NOT NULL, "account_number" TEXT NOT NULL, "account_number_masked" VARCHAR(64) NOT NULL, "instructions" TEXT NOT NULL, "updated_by_id" INTEGER, "updated_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE, FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "event_payment_settings_organization_id" ON "event_payment_settings" ("organization_id")',
        'CREATE UNIQUE INDEX "event_payment_settings_event_id" ON "event_payment_settings" ("event_id")',
        'CREATE INDEX "event_payment_settings_updated_by_id" ON "event_payment_settings" ("updated_by_id")',
    ],
    "postgresql": [
        'CREATE TABLE "event_payment_settings" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "gateways" TEXT, "account_holder" VARCHAR(120) NOT NULL, "bank_name" VARCHAR(120) NOT NULL, "account_number" TEXT NOT NULL, "account_number_masked" VARCHAR(64) NOT NULL, "instructions" TEXT NOT NULL, "updated_by_id" INTEGER, "updated_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE, FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "event_payment_settings_organization_id" ON "event_payment_settings" ("organization_id")',
        'CREATE UNIQUE INDEX "event_payment_settings_event_id" ON "event_payment_settings" ("event_id")',
        'CREATE INDEX "event_payment_settings_updated_by_id" ON "event_payment_settings" ("updated_by_id")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
