"""Outbox unsubscribe url."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'ALTER TABLE "outbox" ADD COLUMN "unsubscribe_url" VARCHAR(500)',
    ],
    "postgresql": [
        'ALTER TABLE "outbox" ADD COLUMN "unsubscribe_url" VARCHAR(500)',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
