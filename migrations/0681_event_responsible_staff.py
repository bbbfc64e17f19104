"""Events: who created them and the members responsible for them."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'ALTER TABLE "event" ADD COLUMN "created_by_id" INTEGER REFERENCES "user" ("id") ON DELETE SET NULL',
        'CREATE INDEX "event_created_by_id" ON "event" ("created_by_id")',
        'CREATE TABLE "event_responsible" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "user_id" INTEGER NOT NULL, "created_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE, FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "event_responsible_organization_id" ON "event_responsible" ("organization_id")',
        'CREATE INDEX "event_responsible_event_id" ON "event_responsible" ("event_id")',
        'CREATE INDEX "event_responsible_user_id" ON "event_responsible" ("user_id")',
        'CREATE UNIQUE INDEX "event_responsible_event_id_user_id" ON "event_responsible" ("event_id", "user_id")',
    ],
    "postgresql": [
        'ALTER TABLE "event" ADD COLUMN "created_by_id" INTEGER REFERENCES "user" ("id") ON DELETE SET NULL',
        'CREATE INDEX "event_created_by_id" ON "event" ("created_by_id")',
        'CREATE TABLE "event_responsible" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "user_id" INTEGER NOT NULL, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE, FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "event_responsible_organization_id" ON "event_responsible" ("organization_id")',
        'CREATE INDEX "event_responsible_event_id" ON "event_responsible" ("event_id")',
        'CREATE INDEX "event_responsible_user_id" ON "event_responsible" ("user_id")',
        'CREATE UNIQUE INDEX "event_responsible_event_id_user_id" ON "event_responsible" ("event_id", "user_id")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
