"""Payments."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'CREATE TABLE "bank_settings" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "account_holder" VARCHAR(120) NOT NULL, "bank_name" VARCHAR(120) NOT NULL, "account_number" TEXT NOT NULL, "account_number_masked" VARCHAR(64) NOT NULL, "instructions" TEXT NOT NULL, "updated_by_id" INTEGER, "updated_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE UNIQUE INDEX "bank_settings_organization_id" ON "bank_settings" ("organization_id")',
        'CREATE INDEX "bank_settings_updated_by_id" ON "bank_settings" ("updated_by_id")',
        'CREATE TABLE "gateway_settings" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "gateway" VARCHAR(32) NOT NULL, "enabled" INTEGER NOT NULL, "mode" VARCHAR(16) NOT NULL, "secrets" TEXT NOT NULL, "masked" TEXT NOT NULL, "updated_by_id" INTEGER, "updated_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "gateway_settings_organization_id" ON "gateway_settings" ("organization_id")',
        'CREATE INDEX "gateway_settings_updated_by_id" ON "gateway_settings" ("updated_by_id")',
        'CREATE UNIQUE INDEX "gateway_settings_organization_id_gateway" ON "gateway_settings" ("organization_id", "gateway")',
        'CREATE TABLE "payment" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "order_id" INTEGER NOT NULL, "gateway" VARCHAR(32) NOT NULL, "reference" VARCHAR(50) NOT NULL, "amount" INTEGER NOT NULL, "currency" VARCHAR(3) NOT NULL, "state" VARCHAR(16) NOT NULL, "mode" VARCHAR(16) NOT NULL, "external_id" VARCHAR(255), "external_payment_id" VARCHAR(255), "redirect_url" VARCHAR(1000), "gateway_status" VARCHAR(64) NOT NULL, "method" VARCHAR(64) NOT NULL, "received_amount" INTEGER, "refunded_amount" INTEGER NOT NULL, "flag" VARCHAR(300), "error" VARCHAR(500) NOT NULL, "paid_at" DATETIME, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("order_id") REFERENCES "order" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "payment_organization_id" ON "payment" ("organization_id")',
        'CREATE INDEX "payment_order_id" ON "payment" ("order_id")',
        'CREATE UNIQUE INDEX "payment_reference" ON "payment" ("reference")',
        'CREATE INDEX "payment_external_id" ON "payment" ("external_id")',
        'CREATE INDEX "payment_external_payment_id" ON "payment" ("external_payment_id")',
        'CREATE INDEX "payment_created_at" ON "payment" ("created_at")',
        'CREATE INDEX "payment_order_id_created_at" ON "payment" ("order_id", "created_at")',
        'CREATE INDEX "payment_state_gateway_created_at" ON "payment" ("state", "gateway", "created_at")',
        'CREATE TABLE "payment_notification" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER, "payment_id" INTEGER, "gateway" VARCHAR(32) NOT NULL, "received_at" DATETIME NOT NULL, "remote_addr" VARCHAR(64) NOT NULL, "headers" TEXT NOT NULL, "body" TEXT NOT NULL, "verified" INTEGER NOT NULL, "gateway_status" VARCHAR(64) NOT NULL, "outcome" VARCHAR(32) NOT NULL, "error" VARCHAR(500) NOT NULL, "http_status" INTEGER NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("payment_id") REFERENCES "payment" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "payment_notification_organization_id" ON "payment_notification" ("organization_id")',
        'CREATE INDEX "payment_notification_payment_id" ON "payment_notification" ("payment_id")',
        'CREATE INDEX "payment_notification_received_at" ON "payment_notification" ("received_at")',
        'CREATE INDEX "payment_notification_organization_id_received_at" ON "payment_notification" ("organization_id", "received_at")',
    ],
    "postgresql": [
        'CREATE TABLE "bank_settings" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "account_holder" VARCHAR(120) NOT NULL, "bank_name" VARCHAR(120) NOT NULL, "account_number" TEXT NOT NULL, "account_number_masked" VARCHAR(64) NOT NULL, "instructions" TEXT NOT NULL, "updated_by_id" INTEGER, "updated_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE UNIQUE INDEX "bank_settings_organization_id" ON "bank_settings" ("organization_id")',
        'CREATE INDEX "bank_settings_updated_by_id" ON "bank_settings" ("updated_by_id")',
        'CREATE TABLE "gateway_settings" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "gateway" VARCHAR(32) NOT NULL, "enabled" BOOLEAN NOT NULL, "mode" VARCHAR(16) NOT NULL, "secrets" TEXT NOT NULL, "masked" TEXT NOT NULL, "updated_by_id" INTEGER, "updated_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "gateway_settings_organization_id" ON "gateway_settings" ("organization_id")',
        'CREATE INDEX "gateway_settings_updated_by_id" ON "gateway_settings" ("updated_by_id")',
        'CREATE UNIQUE INDEX "gateway_settings_organization_id_gateway" ON "gateway_settings" ("organization_id", "gateway")',
        'CREATE TABLE "payment" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "order_id" INTEGER NOT NULL, "gateway" VARCHAR(32) NOT NULL, "reference" VARCHAR(50) NOT NULL, "amount" BIGINT NOT NULL, "currency" VARCHAR(3) NOT NULL, "state" VARCHAR(16) NOT NULL, "mode" VARCHAR(16) NOT NULL, "external_id" VARCHAR(255), "external_payment_id" VARCHAR(255), "redirect_url" VARCHAR(1000), "gateway_status" VARCHAR(64) NOT NULL, "method" VARCHAR(64) NOT NULL, "received_amount" BIGINT, "refunded_amount" BIGINT NOT NULL, "flag" VARCHAR(300), "error" VARCHAR(500) NOT NULL, "paid_at" TIMESTAMP, "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("order_id") REFERENCES "order" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "payment_organization_id" ON "payment" ("organization_id")',
        'CREATE INDEX "payment_order_id" ON "payment" ("order_id")',
        'CREATE UNIQUE INDEX "payment_reference" ON "payment" ("reference")',
        'CREATE INDEX "payment_external_id" ON "payment" ("external_id")',
        'CREATE INDEX "payment_external_payment_id" ON "payment" ("external_payment_id")',
        'CREATE INDEX "payment_created_at" ON "payment" ("created_at")',
        'CREATE INDEX "payment_order_id_created_at" ON "payment" ("order_id", "created_at")',
        'CREATE INDEX "payment_state_gateway_created_at" ON "payment" ("state", "gateway", "created_at")',
        'CREATE TABLE "payment_notification" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER, "payment_id" INTEGER, "gateway" VARCHAR(32) NOT NULL, "received_at" TIMESTAMP NOT NULL, "remote_addr" VARCHAR(64) NOT NULL, "headers" TEXT NOT NULL, "body" TEXT NOT NULL, "verified" BOOLEAN NOT NULL, "gateway_status" VARCHAR(64) NOT NULL, "outcome" VARCHAR(32) NOT NULL, "error" VARCHAR(500) NOT NULL, "http_status" INTEGER NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("payment_id") REFERENCES "payment" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "payment_notification_organization_id" ON "payment_notification" ("organization_id")',
        'CREATE INDEX "payment_notification_payment_id" ON "payment_notification" ("payment_id")',
        'CREATE INDEX "payment_notification_received_at" ON "payment_notification" ("received_at")',
        'CREATE INDEX "payment_notification_organization_id_received_at" ON "payment_notification" ("organization_id", "received_at")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
