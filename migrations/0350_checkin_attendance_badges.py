"""Checkin attendance badges."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'CREATE TABLE "attendance" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "checkin_list_id" INTEGER NOT NULL, "registrant_id" INTEGER NOT NULL, "entries" INTEGER NOT NULL, "inside" INTEGER NOT NULL, "last_entry_at" DATETIME, "last_gate" VARCHAR(64) NOT NULL, "updated_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("checkin_list_id") REFERENCES "checkin_list" ("id") ON DELETE CASCADE, FOREIGN KEY ("registrant_id") REFERENCES "registrant" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "attendance_organization_id" ON "attendance" ("organization_id")',
        'CREATE INDEX "attendance_checkin_list_id" ON "attendance" ("checkin_list_id")',
        'CREATE INDEX "attendance_registrant_id" ON "attendance" ("registrant_id")',
        'CREATE UNIQUE INDEX "attendance_checkin_list_id_registrant_id" ON "attendance" ("checkin_list_id", "registrant_id")',
        'CREATE TABLE "badge_job" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "created_by_id" INTEGER, "selection" TEXT NOT NULL, "status" VARCHAR(8) NOT NULL, "total" INTEGER NOT NULL, "done" INTEGER NOT NULL, "file_path" VARCHAR(255), "error" VARCHAR(500), "created_at" DATETIME NOT NULL, "finished_at" DATETIME, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "badge_job_organization_id" ON "badge_job" ("organization_id")',
        'CREATE INDEX "badge_job_event_id" ON "badge_job" ("event_id")',
        'CREATE INDEX "badge_job_created_by_id" ON "badge_job" ("created_by_id")',
        'CREATE TABLE "badge_settings" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "size" VARCHAR(8) NOT NULL, "fields" TEXT NOT NULL, "show_logo" INTEGER NOT NULL, "show_qr" INTEGER NOT NULL, "accent_color" VARCHAR(7) NOT NULL, "logo_path" VARCHAR(255), "updated_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "badge_settings_organization_id" ON "badge_settings" ("organization_id")',
        'CREATE UNIQUE INDEX "badge_settings_event_id" ON "badge_settings" ("event_id")',
    ],
    "postgresql": [
        'CREATE TABLE "attendance" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "checkin_list_id" INTEGER NOT NULL, "registrant_id" INTEGER NOT NULL, "entries" INTEGER NOT NULL, "inside" BOOLEAN NOT NULL, "last_entry_at" TIMESTAMP, "last_gate" VARCHAR(64) NOT NULL, "updated_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("checkin_list_id") REFERENCES "checkin_list" ("id") ON DELETE CASCADE, FOREIGN KEY ("registrant_id") REFERENCES "registrant" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "attendance_organization_id" ON "attendance" ("organization_id")',
        'CREATE INDEX "attendance_checkin_list_id" ON "attendance" ("checkin_list_id")',
        'CREATE INDEX "attendance_registrant_id" ON "attendance" ("registrant_id")',
        'CREATE UNIQUE INDEX "attendance_checkin_list_id_registrant_id" ON "attendance" ("checkin_list_id", "registrant_id")',
        'CREATE TABLE "badge_job" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "created_by_id" INTEGER, "selection" TEXT NOT NULL, "status" VARCHAR(8) NOT NULL, "total" INTEGER NOT NULL, "done" INTEGER NOT NULL, "file_path" VARCHAR(255), "error" VARCHAR(500), "created_at" TIMESTAMP NOT NULL, "finished_at" TIMESTAMP, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "badge_job_organization_id" ON "badge_job" ("organization_id")',
        'CREATE INDEX "badge_job_event_id" ON "badge_job" ("event_id")',
        'CREATE INDEX "badge_job_created_by_id" ON "badge_job" ("created_by_id")',
        'CREATE TABLE "badge_settings" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "size" VARCHAR(8) NOT NULL, "fields" TEXT NOT NULL, "show_logo" BOOLEAN NOT NULL, "show_qr" BOOLEAN NOT NULL, "accent_color" VARCHAR(7) NOT NULL, "logo_path" VARCHAR(255), "updated_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "badge_settings_organization_id" ON "badge_settings" ("organization_id")',
        'CREATE UNIQUE INDEX "badge_settings_event_id" ON "badge_settings" ("event_id")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
