"""Per-event grants: a member's role (manager, staff, door, guide) on one event."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'CREATE TABLE "event_grant" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "user_id" INTEGER NOT NULL, "role" VARCHAR(16) NOT NULL, "granted_by_id" INTEGER, "created_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE, FOREIGN KEY ("granted_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "event_grant_organization_id" ON "event_grant" ("organization_id")',
        'CREATE INDEX "event_grant_user_id" ON "event_grant" ("user_id")',
        'CREATE INDEX "event_grant_granted_by_id" ON "event_grant" ("granted_by_id")',
        'CREATE UNIQUE INDEX "event_grant_event_id_user_id" ON "event_grant" ("event_id", "user_id")',
        'CREATE INDEX "event_grant_organization_id_user_id" ON "event_grant" ("organization_id", "user_id")',
    ],
    "postgresql": [
        'CREATE TABLE "event_grant" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "user_id" INTEGER NOT NULL, "role" VARCHAR(16) NOT NULL, "granted_by_id" INTEGER, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE, FOREIGN KEY ("granted_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "event_grant_organization_id" ON "event_grant" ("organization_id")',
        'CREATE INDEX "event_grant_user_id" ON "event_grant" ("user_id")',
        'CREATE INDEX "event_grant_granted_by_id" ON "event_grant" ("granted_by_id")',
        'CREATE UNIQUE INDEX "event_grant_event_id_user_id" ON "event_grant" ("event_id", "user_id")',
        'CREATE INDEX "event_grant_organization_id_user_id" ON "event_grant" ("organization_id", "user_id")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
