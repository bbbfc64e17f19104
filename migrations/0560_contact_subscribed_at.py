"""Contacts: `subscribed_at` is set when a contact becomes active. Active contacts from before
this version subscribed when they were created."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'UPDATE "contact" SET "subscribed_at" = "created_at" WHERE "status" = \'active\' AND "subscribed_at" IS NULL'
    ],
    "postgresql": [
        'UPDATE "contact" SET "subscribed_at" = "created_at" WHERE "status" = \'active\' AND "subscribed_at" IS NULL'
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
