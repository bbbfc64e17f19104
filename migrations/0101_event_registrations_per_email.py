"""Event registrations per email."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'ALTER TABLE "event" ADD COLUMN "max_registrations_per_email" INTEGER',
    ],
    "postgresql": [
        'ALTER TABLE "event" ADD COLUMN "max_registrations_per_email" INTEGER',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
