"""Website widgets: the organization's allow-list of websites that may frame its forms, and each
event's self check-in switch."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'CREATE TABLE "widget_settings" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "origins" TEXT NOT NULL, "updated_by_id" INTEGER, "updated_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE UNIQUE INDEX "widget_settings_organization_id" ON "widget_settings" ("organization_id")',
        'CREATE INDEX "widget_settings_updated_by_id" ON "widget_settings" ("updated_by_id")',
        'CREATE TABLE "event_widget" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "self_checkin" INTEGER NOT NULL, "updated_by_id" INTEGER, "updated_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE, FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "event_widget_organization_id" ON "event_widget" ("organization_id")',
        'CREATE UNIQUE INDEX "event_widget_event_id" ON "event_widget" ("event_id")',
        'CREATE INDEX "event_widget_updated_by_id" ON "event_widget" ("updated_by_id")',
    ],
    "postgresql": [
        'CREATE TABLE "widget_settings" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "origins" TEXT NOT NULL, "updated_by_id" INTEGER, "updated_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE UNIQUE INDEX "widget_settings_organization_id" ON "widget_settings" ("organization_id")',
        'CREATE INDEX "widget_settings_updated_by_id" ON "widget_settings" ("updated_by_id")',
        'CREATE TABLE "event_widget" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "self_checkin" BOOLEAN NOT NULL, "updated_by_id" INTEGER, "updated_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE, FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "event_widget_organization_id" ON "event_widget" ("organization_id")',
        'CREATE UNIQUE INDEX "event_widget_event_id" ON "event_widget" ("event_id")',
        'CREATE INDEX "event_widget_updated_by_id" ON "event_widget" ("updated_by_id")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
