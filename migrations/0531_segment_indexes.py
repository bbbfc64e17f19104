"""Indexes the segment queries read: a contact's registrations (covering what attended and
registered ask), and tracked events by type and time (covering "did T within D days")."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'CREATE INDEX "registrant_contact_id_checked_in_at_event_id_organization_id" ON "registrant" ("contact_id", "checked_in_at", "event_id", "organization_id")',
        'CREATE INDEX "incoming_event_organization_id_type_occurred_at_contact_id" ON "incoming_event" ("organization_id", "type", "occurred_at", "contact_id")',
    ],
    "postgresql": [
        'CREATE INDEX "registrant_contact_id_checked_in_at_event_id_organization_id" ON "registrant" ("contact_id", "checked_in_at", "event_id", "organization_id")',
        'CREATE INDEX "incoming_event_organization_id_type_occurred_at_contact_id" ON "incoming_event" ("organization_id", "type", "occurred_at", "contact_id")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
