"""The landing page's version: bumped with every change its page shows (the event, its products,
questions and texts), so a cached page of an older version is never served again."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": ['ALTER TABLE "event" ADD COLUMN "page_version" INTEGER NOT NULL DEFAULT 0'],
    "postgresql": ['ALTER TABLE "event" ADD COLUMN "page_version" INTEGER NOT NULL DEFAULT 0'],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
