"""Workflows: an organization's trigger and steps, a run per contact that entered one, and the
segment members each segment-triggered workflow saw at its last scan."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'CREATE TABLE "workflow" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "name" VARCHAR(120) NOT NULL, "trigger" TEXT NOT NULL, "steps" TEXT NOT NULL, "allow_reentry" INTEGER NOT NULL, "state" VARCHAR(8) NOT NULL, "segment_checked_at" DATETIME, "created_by_id" INTEGER, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "workflow_organization_id" ON "workflow" ("organization_id")',
        'CREATE INDEX "workflow_created_by_id" ON "workflow" ("created_by_id")',
        'CREATE INDEX "workflow_organization_id_state" ON "workflow" ("organization_id", "state")',
        'CREATE TABLE "workflow_run" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "workflow_id" INTEGER NOT NULL, "contact_id" INTEGER NOT NULL, "number" INTEGER NOT NULL, "state" VARCHAR(8) NOT NULL, "step_index" INTEGER NOT NULL, "next_at" DATETIME, "history" TEXT NOT NULL, "trigger_data" TEXT NOT NULL, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, "finished_at" DATETIME, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("workflow_id") REFERENCES "workflow" ("id") ON DELETE CASCADE, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "workflow_run_organization_id" ON "workflow_run" ("organization_id")',
        'CREATE INDEX "workflow_run_workflow_id" ON "workflow_run" ("workflow_id")',
        'CREATE INDEX "workflow_run_contact_id" ON "workflow_run" ("contact_id")',
        'CREATE UNIQUE INDEX "workflow_run_workflow_id_contact_id_number" ON "workflow_run" ("workflow_id", "contact_id", "number")',
        'CREATE INDEX "workflow_run_workflow_id_state_next_at" ON "workflow_run" ("workflow_id", "state", "next_at")',
        'CREATE TABLE "workflow_segment_member" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "workflow_id" INTEGER NOT NULL, "contact_id" INTEGER NOT NULL, "created_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("workflow_id") REFERENCES "workflow" ("id") ON DELETE CASCADE, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "workflow_segment_member_organization_id" ON "workflow_segment_member" ("organization_id")',
        'CREATE INDEX "workflow_segment_member_workflow_id" ON "workflow_segment_member" ("workflow_id")',
        'CREATE INDEX "workflow_segment_member_contact_id" ON "workflow_segment_member" ("contact_id")',
        'CREATE UNIQUE INDEX "workflow_segment_member_workflow_id_contact_id" ON "workflow_segment_member" ("workflow_id", "contact_id")',
    ],
    "postgresql": [
        'CREATE TABLE "workflow" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "name" VARCHAR(120) NOT NULL, "trigger" TEXT NOT NULL, "steps" TEXT NOT NULL, "allow_reentry" BOOLEAN NOT NULL, "state" VARCHAR(8) NOT NULL, "segment_checked_at" TIMESTAMP, "created_by_id" INTEGER, "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "workflow_organization_id" ON "workflow" ("organization_id")',
        'CREATE INDEX "workflow_created_by_id" ON "workflow" ("created_by_id")',
        'CREATE INDEX "workflow_organization_id_state" ON "workflow" ("organization_id", "state")',
        'CREATE TABLE "workflow_run" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "workflow_id" INTEGER NOT NULL, "contact_id" INTEGER NOT NULL, "number" INTEGER NOT NULL, "state" VARCHAR(8) NOT NULL, "step_index" INTEGER NOT NULL, "next_at" TIMESTAMP, "history" TEXT NOT NULL, "trigger_data" TEXT NOT NULL, "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, "finished_at" TIMESTAMP, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("workflow_id") REFERENCES "workflow" ("id") ON DELETE CASCADE, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "workflow_run_organization_id" ON "workflow_run" ("organization_id")',
        'CREATE INDEX "workflow_run_workflow_id" ON "workflow_run" ("workflow_id")',
        'CREATE INDEX "workflow_run_contact_id" ON "workflow_run" ("contact_id")',
        'CREATE UNIQUE INDEX "workflow_run_workflow_id_contact_id_number" ON "workflow_run" ("workflow_id", "contact_id", "number")',
        'CREATE INDEX "workflow_run_workflow_id_state_next_at" ON "workflow_run" ("workflow_id", "state", "next_at")',
        'CREATE TABLE "workflow_segment_member" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "workflow_id" INTEGER NOT NULL, "contact_id" INTEGER NOT NULL, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("workflow_id") REFERENCES "workflow" ("id") ON DELETE CASCADE, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "workflow_segment_member_organization_id" ON "workflow_segment_member" ("organization_id")',
        'CREATE INDEX "workflow_segment_member_workflow_id" ON "workflow_segment_member" ("workflow_id")',
        'CREATE INDEX "workflow_segment_member_contact_id" ON "workflow_segment_member" ("contact_id")',
        'CREATE UNIQUE INDEX "workflow_segment_member_workflow_id_contact_id" ON "workflow_segment_member" ("workflow_id", "contact_id")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
