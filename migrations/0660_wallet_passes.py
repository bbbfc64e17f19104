"""Wallet passes: the organization's Apple pass certificate and Google service account (keys encrypted),
each ticket's pass with its serial and fingerprint, and the devices registered for its updates."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'CREATE TABLE "wallet_pass" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "registrant_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "serial" VARCHAR(64) NOT NULL, "path" VARCHAR(255) NOT NULL, "fingerprint" VARCHAR(64) NOT NULL, "size" INTEGER NOT NULL, "updated_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("registrant_id") REFERENCES "registrant" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "wallet_pass_organization_id" ON "wallet_pass" ("organization_id")',
        'CREATE UNIQUE INDEX "wallet_pass_registrant_id" ON "wallet_pass" ("registrant_id")',
        'CREATE INDEX "wallet_pass_event_id" ON "wallet_pass" ("event_id")',
        'CREATE UNIQUE INDEX "wallet_pass_serial" ON "wallet_pass" ("serial")',
        'CREATE INDEX "wallet_pass_updated_at" ON "wallet_pass" ("updated_at")',
        'CREATE TABLE "wallet_registration" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "wallet_pass_id" INTEGER NOT NULL, "device" VARCHAR(128) NOT NULL, "push_token" VARCHAR(255) NOT NULL, "created_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("wallet_pass_id") REFERENCES "wallet_pass" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "wallet_registration_organization_id" ON "wallet_registration" ("organization_id")',
        'CREATE INDEX "wallet_registration_wallet_pass_id" ON "wallet_registration" ("wallet_pass_id")',
        'CREATE UNIQUE INDEX "wallet_registration_device_wallet_pass_id" ON "wallet_registration" ("device", "wallet_pass_id")',
        'CREATE TABLE "wallet_settings" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "apple_pass_type_id" VARCHAR(255) NOT NULL, "apple_team_id" VARCHAR(32) NOT NULL, "apple_certificate" TEXT NOT NULL, "apple_key" TEXT NOT NULL, "apple_wwdr" TEXT NOT NULL, "apple_subject" VARCHAR(255) NOT NULL, "apple_expires_at" DATETIME, "google_issuer_id" VARCHAR(32) NOT NULL, "google_client_email" VARCHAR(255) NOT NULL, "google_key" TEXT NOT NULL, "updated_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE)',
        'CREATE UNIQUE INDEX "wallet_settings_organization_id" ON "wallet_settings" ("organization_id")',
    ],
    "postgresql": [
        'CREATE TABLE "wallet_pass" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "registrant_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "serial" VARCHAR(64) NOT NULL, "path" VARCHAR(255) NOT NULL, "fingerprint" VARCHAR(64) NOT NULL, "size" INTEGER NOT NULL, "updated_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("registrant_id") REFERENCES "registrant" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "wallet_pass_organization_id" ON "wallet_pass" ("organization_id")',
        'CREATE UNIQUE INDEX "wallet_pass_registrant_id" ON "wallet_pass" ("registrant_id")',
        'CREATE INDEX "wallet_pass_event_id" ON "wallet_pass" ("event_id")',
        'CREATE UNIQUE INDEX "wallet_pass_serial" ON "wallet_pass" ("serial")',
        'CREATE INDEX "wallet_pass_updated_at" ON "wallet_pass" ("updated_at")',
        'CREATE TABLE "wallet_registration" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "wallet_pass_id" INTEGER NOT NULL, "device" VARCHAR(128) NOT NULL, "push_token" VARCHAR(255) NOT NULL, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("wallet_pass_id") REFERENCES "wallet_pass" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "wallet_registration_organization_id" ON "wallet_registration" ("organization_id")',
        'CREATE INDEX "wallet_registration_wallet_pass_id" ON "wallet_registration" ("wallet_pass_id")',
        'CREATE UNIQUE INDEX "wallet_registration_device_wallet_pass_id" ON "wallet_registration" ("device", "wallet_pass_id")',
        'CREATE TABLE "wallet_settings" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "apple_pass_type_id" VARCHAR(255) NOT NULL, "apple_team_id" VARCHAR(32) NOT NULL, "apple_certificate" TEXT NOT NULL, "apple_key" TEXT NOT NULL, "apple_wwdr" TEXT NOT NULL, "apple_subject" VARCHAR(255) NOT NULL, "apple_expires_at" TIMESTAMP, "google_issuer_id" VARCHAR(32) NOT NULL, "google_client_email" VARCHAR(255) NOT NULL, "google_key" TEXT NOT NULL, "updated_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE)',
        'CREATE UNIQUE INDEX "wallet_settings_organization_id" ON "wallet_settings" ("organization_id")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
