"""Console jobs."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'CREATE TABLE "console_job" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "user_id" INTEGER, "kind" VARCHAR(16) NOT NULL, "state" VARCHAR(16) NOT NULL, "params" TEXT NOT NULL, "total" INTEGER NOT NULL, "processed" INTEGER NOT NULL, "created_rows" INTEGER NOT NULL, "updated_rows" INTEGER NOT NULL, "skipped_rows" INTEGER NOT NULL, "failed_rows" INTEGER NOT NULL, "row_errors" TEXT NOT NULL, "error" TEXT, "created_at" DATETIME NOT NULL, "started_at" DATETIME, "finished_at" DATETIME, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE, FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "console_job_organization_id" ON "console_job" ("organization_id")',
        'CREATE INDEX "console_job_event_id" ON "console_job" ("event_id")',
        'CREATE INDEX "console_job_user_id" ON "console_job" ("user_id")',
        'CREATE INDEX "console_job_event_id_created_at" ON "console_job" ("event_id", "created_at")',
    ],
    "postgresql": [
        'CREATE TABLE "console_job" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "user_id" INTEGER, "kind" VARCHAR(16) NOT NULL, "state" VARCHAR(16) NOT NULL, "params" TEXT NOT NULL, "total" INTEGER NOT NULL, "processed" INTEGER NOT NULL, "created_rows" INTEGER NOT NULL, "updated_rows" INTEGER NOT NULL, "skipped_rows" INTEGER NOT NULL, "failed_rows" INTEGER NOT NULL, "row_errors" TEXT NOT NULL, "error" TEXT, "created_at" TIMESTAMP NOT NULL, "started_at" TIMESTAMP, "finished_at" TIMESTAMP, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE, FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "console_job_organization_id" ON "console_job" ("organization_id")',
        'CREATE INDEX "console_job_event_id" ON "console_job" ("event_id")',
        'CREATE INDEX "console_job_user_id" ON "console_job" ("user_id")',
        'CREATE INDEX "console_job_event_id_created_at" ON "console_job" ("event_id", "created_at")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
