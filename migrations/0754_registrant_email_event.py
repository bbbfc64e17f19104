"""A registrant's address with its event in one index (webapp.orders.models.Registrant), in place of
the address alone: the per-email limit's lookup of an address's registrations for an event
(webapp.orders.per_email) finds them by both, where the planner took the event's index and read
every registration of the event (SQLite always, having no statistics; PostgreSQL before its first
ANALYZE). Lookups by the address alone use the index's first column, as they used the old one."""

from webapp.migrate import run_sql

_SWAP = [
    'CREATE INDEX "registrant_email_event_id" ON "registrant" ("email", "event_id")',
    'DROP INDEX "registrant_email"',
]

SQL = {"sqlite": _SWAP, "postgresql": _SWAP}


def upgrade(db, migrator):
    run_sql(db, SQL)
