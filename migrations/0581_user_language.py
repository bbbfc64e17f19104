"""Each user's language for the console and the door ("en", "id"), or none: the browser's."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": ['ALTER TABLE "user" ADD COLUMN "language" VARCHAR(8)'],
    "postgresql": ['ALTER TABLE "user" ADD COLUMN "language" VARCHAR(8)'],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
