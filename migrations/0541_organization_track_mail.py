"""Organization setting: track opens and clicks of the mail contacts get (on by default)."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": ['ALTER TABLE "organization" ADD COLUMN "track_mail" INTEGER NOT NULL DEFAULT 1'],
    "postgresql": ['ALTER TABLE "organization" ADD COLUMN "track_mail" BOOLEAN NOT NULL DEFAULT TRUE'],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
