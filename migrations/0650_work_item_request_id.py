"""Work items remember the id of the request that recorded them (the worker logs it). An added
nullable column: nodes still running the previous version write rows without it (expand only)."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": ['ALTER TABLE "work_item" ADD COLUMN "request_id" VARCHAR(64)'],
    "postgresql": ['ALTER TABLE "work_item" ADD COLUMN "request_id" VARCHAR(64)'],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
