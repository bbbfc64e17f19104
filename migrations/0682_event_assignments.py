"""Contacts assigned to an event without being participants (assigned by, note, invitation)."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'CREATE TABLE "event_assignment" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "contact_id" INTEGER NOT NULL, "assigned_by_id" INTEGER, "note" VARCHAR(500) NOT NULL, "invitation_id" INTEGER, "created_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE CASCADE, FOREIGN KEY ("assigned_by_id") REFERENCES "user" ("id") ON DELETE SET NULL, FOREIGN KEY ("invitation_id") REFERENCES "invitation" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "event_assignment_organization_id" ON "event_assignment" ("organization_id")',
        'CREATE INDEX "event_assignment_event_id" ON "event_assignment" ("event_id")',
        'CREATE INDEX "event_assignment_contact_id" ON "event_assignment" ("contact_id")',
        'CREATE INDEX "event_assignment_assigned_by_id" ON "event_assignment" ("assigned_by_id")',
        'CREATE INDEX "event_assignment_invitation_id" ON "event_assignment" ("invitation_id")',
        'CREATE UNIQUE INDEX "event_assignment_event_id_contact_id" ON "event_assignment" ("event_id", "contact_id")',
    ],
    "postgresql": [
        'CREATE TABLE "event_assignment" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "contact_id" INTEGER NOT NULL, "assigned_by_id" INTEGER, "note" VARCHAR(500) NOT NULL, "invitation_id" INTEGER, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE CASCADE, FOREIGN KEY ("assigned_by_id") REFERENCES "user" ("id") ON DELETE SET NULL, FOREIGN KEY ("invitation_id") REFERENCES "invitation" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "event_assignment_organization_id" ON "event_assignment" ("organization_id")',
        'CREATE INDEX "event_assignment_event_id" ON "event_assignment" ("event_id")',
        'CREATE INDEX "event_assignment_contact_id" ON "event_assignment" ("contact_id")',
        'CREATE INDEX "event_assignment_assigned_by_id" ON "event_assignment" ("assigned_by_id")',
        'CREATE INDEX "event_assignment_invitation_id" ON "event_assignment" ("invitation_id")',
        'CREATE UNIQUE INDEX "event_assignment_event_id_contact_id" ON "event_assignment" ("event_id", "contact_id")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
