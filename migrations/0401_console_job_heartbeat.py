"""Console jobs: a heartbeat, the runs of a job and where a bulk action got to, so stalled jobs resume."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'ALTER TABLE "console_job" ADD COLUMN "heartbeat_at" DATETIME',
        'ALTER TABLE "console_job" ADD COLUMN "runs" INTEGER NOT NULL DEFAULT 0',
        'ALTER TABLE "console_job" ADD COLUMN "last_done_id" INTEGER',
        'CREATE INDEX "console_job_state_heartbeat_at" ON "console_job" ("state", "heartbeat_at")',
    ],
    "postgresql": [
        'ALTER TABLE "console_job" ADD COLUMN "heartbeat_at" TIMESTAMP',
        'ALTER TABLE "console_job" ADD COLUMN "runs" INTEGER NOT NULL DEFAULT 0',
        'ALTER TABLE "console_job" ADD COLUMN "last_done_id" INTEGER',
        'CREATE INDEX "console_job_state_heartbeat_at" ON "console_job" ("state", "heartbeat_at")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
