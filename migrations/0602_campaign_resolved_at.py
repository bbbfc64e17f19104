"""When a campaign's recipients were resolved: a send resumed after a pause adds nobody."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'ALTER TABLE "campaign" ADD COLUMN "resolved_at" DATETIME',
    ],
    "postgresql": [
        'ALTER TABLE "campaign" ADD COLUMN "resolved_at" TIMESTAMP',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
