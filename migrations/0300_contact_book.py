"""Contact book."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'CREATE INDEX "contact_organization_id_stage" ON "contact" ("organization_id", "stage")',
        'CREATE INDEX "contact_organization_id_status" ON "contact" ("organization_id", "status")',
        'CREATE INDEX "contact_organization_id_last_activity_at" ON "contact" ("organization_id", "last_activity_at")',
        'ALTER TABLE "activity" ADD COLUMN "dedupe_key" VARCHAR(96)',
        'CREATE UNIQUE INDEX "activity_organization_id_dedupe_key" ON "activity" ("organization_id", "dedupe_key")',
        'CREATE TABLE "contact_import" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "user_id" INTEGER, "filename" VARCHAR(255) NOT NULL, "path" VARCHAR(255) NOT NULL, "encoding" VARCHAR(16) NOT NULL, "delimiter" VARCHAR(1) NOT NULL, "headers" TEXT NOT NULL, "mapping" TEXT NOT NULL, "label_names" TEXT NOT NULL, "state" VARCHAR(16) NOT NULL, "total_rows" INTEGER NOT NULL, "processed_rows" INTEGER NOT NULL, "created_count" INTEGER NOT NULL, "updated_count" INTEGER NOT NULL, "error_count" INTEGER NOT NULL, "errors" TEXT NOT NULL, "failure" TEXT, "created_at" DATETIME NOT NULL, "started_at" DATETIME, "finished_at" DATETIME, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "contact_import_organization_id" ON "contact_import" ("organization_id")',
        'CREATE INDEX "contact_import_user_id" ON "contact_import" ("user_id")',
        'CREATE TABLE "contact_settings" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "inactivity_days" INTEGER, "updated_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE)',
        'CREATE UNIQUE INDEX "contact_settings_organization_id" ON "contact_settings" ("organization_id")',
        'CREATE TABLE "event_label" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "label_id" INTEGER NOT NULL, "created_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE, FOREIGN KEY ("label_id") REFERENCES "label" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "event_label_organization_id" ON "event_label" ("organization_id")',
        'CREATE INDEX "event_label_event_id" ON "event_label" ("event_id")',
        'CREATE INDEX "event_label_label_id" ON "event_label" ("label_id")',
        'CREATE UNIQUE INDEX "event_label_event_id_label_id" ON "event_label" ("event_id", "label_id")',
    ],
    "postgresql": [
        'CREATE INDEX "contact_organization_id_stage" ON "contact" ("organization_id", "stage")',
        'CREATE INDEX "contact_organization_id_status" ON "contact" ("organization_id", "status")',
        'CREATE INDEX "contact_organization_id_last_activity_at" ON "contact" ("organization_id", "last_activity_at")',
        'ALTER TABLE "activity" ADD COLUMN "dedupe_key" VARCHAR(96)',
        'CREATE UNIQUE INDEX "activity_organization_id_dedupe_key" ON "activity" ("organization_id", "dedupe_key")',
        'CREATE TABLE "contact_import" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "user_id" INTEGER, "filename" VARCHAR(255) NOT NULL, "path" VARCHAR(255) NOT NULL, "encoding" VARCHAR(16) NOT NULL, "delimiter" VARCHAR(1) NOT NULL, "headers" TEXT NOT NULL, "mapping" TEXT NOT NULL, "label_names" TEXT NOT NULL, "state" VARCHAR(16) NOT NULL, "total_rows" INTEGER NOT NULL, "processed_rows" INTEGER NOT NULL, "created_count" INTEGER NOT NULL, "updated_count" INTEGER NOT NULL, "error_count" INTEGER NOT NULL, "errors" TEXT NOT NULL, "failure" TEXT, "created_at" TIMESTAMP NOT NULL, "started_at" TIMESTAMP, "finished_at" TIMESTAMP, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "contact_import_organization_id" ON "contact_import" ("organization_id")',
        'CREATE INDEX "contact_import_user_id" ON "contact_import" ("user_id")',
        'CREATE TABLE "contact_settings" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "inactivity_days" INTEGER, "updated_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE)',
        'CREATE UNIQUE INDEX "contact_settings_organization_id" ON "contact_settings" ("organization_id")',
        'CREATE TABLE "event_label" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "label_id" INTEGER NOT NULL, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE, FOREIGN KEY ("label_id") REFERENCES "label" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "event_label_organization_id" ON "event_label" ("organization_id")',
        'CREATE INDEX "event_label_event_id" ON "event_label" ("event_id")',
        'CREATE INDEX "event_label_label_id" ON "event_label" ("label_id")',
        'CREATE UNIQUE INDEX "event_label_event_id_label_id" ON "event_label" ("event_id", "label_id")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
