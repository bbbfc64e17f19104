"""Participant groups (every event gets its default group, and its registrants join it),
invitations that name a group or were declined, check-in lists limited to groups, the lobby's
event settings and announcements, and event documents."""

import datetime as dt
import secrets

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'ALTER TABLE "event" ADD COLUMN "join_link_opens_minutes" INTEGER NOT NULL DEFAULT 30',
        'ALTER TABLE "event" ADD COLUMN "venue_map_url" VARCHAR(500) NOT NULL DEFAULT \'\'',
        'ALTER TABLE "checkin_list" ADD COLUMN "group_ids" TEXT NOT NULL DEFAULT \'[]\'',
        'CREATE TABLE "participant_group" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "name" VARCHAR(100) NOT NULL, "is_default" INTEGER NOT NULL, "key" VARCHAR(32) NOT NULL, "capacity" INTEGER, "registration" VARCHAR(16) NOT NULL, "accept_limit" INTEGER, "product_ids" TEXT NOT NULL, "badge_layout" VARCHAR(16) NOT NULL, "position" INTEGER NOT NULL, "created_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "participant_group_organization_id" ON "participant_group" ("organization_id")',
        'CREATE INDEX "participant_group_event_id" ON "participant_group" ("event_id")',
        'CREATE UNIQUE INDEX "participant_group_key" ON "participant_group" ("key")',
        'CREATE UNIQUE INDEX "participant_group_event_id_name" ON "participant_group" ("event_id", "name")',
        'ALTER TABLE "invitation" ADD COLUMN "group_id" INTEGER REFERENCES "participant_group" ("id") ON DELETE SET NULL',
        'ALTER TABLE "invitation" ADD COLUMN "declined_at" DATETIME',
        'CREATE INDEX "invitation_group_id" ON "invitation" ("group_id")',
        'ALTER TABLE "registrant" ADD COLUMN "group_id" INTEGER REFERENCES "participant_group" ("id") ON DELETE SET NULL',
        'CREATE INDEX "registrant_group_id" ON "registrant" ("group_id")',
        'CREATE TABLE "document" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER, "title" VARCHAR(200) NOT NULL, "filename" VARCHAR(200) NOT NULL, "content_type" VARCHAR(100) NOT NULL, "size" INTEGER NOT NULL, "storage_key" VARCHAR(300) NOT NULL, "visibility" VARCHAR(16) NOT NULL, "group_ids" TEXT NOT NULL, "uploaded_by_id" INTEGER, "created_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE, FOREIGN KEY ("uploaded_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "document_organization_id" ON "document" ("organization_id")',
        'CREATE INDEX "document_event_id" ON "document" ("event_id")',
        'CREATE UNIQUE INDEX "document_storage_key" ON "document" ("storage_key")',
        'CREATE INDEX "document_uploaded_by_id" ON "document" ("uploaded_by_id")',
        'CREATE INDEX "document_event_id_created_at" ON "document" ("event_id", "created_at")',
        'CREATE TABLE "event_announcement" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "body" TEXT NOT NULL, "posted_by_id" INTEGER, "created_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE, FOREIGN KEY ("posted_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "event_announcement_organization_id" ON "event_announcement" ("organization_id")',
        'CREATE INDEX "event_announcement_event_id" ON "event_announcement" ("event_id")',
        'CREATE INDEX "event_announcement_posted_by_id" ON "event_announcement" ("posted_by_id")',
        'CREATE INDEX "event_announcement_event_id_created_at" ON "event_announcement" ("event_id", "created_at")',
    ],
    "postgresql": [
        'ALTER TABLE "event" ADD COLUMN "join_link_opens_minutes" INTEGER NOT NULL DEFAULT 30',
        'ALTER TABLE "event" ADD COLUMN "venue_map_url" VARCHAR(500) NOT NULL DEFAULT \'\'',
        'ALTER TABLE "checkin_list" ADD COLUMN "group_ids" TEXT NOT NULL DEFAULT \'[]\'',
        'CREATE TABLE "participant_group" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "name" VARCHAR(100) NOT NULL, "is_default" BOOLEAN NOT NULL, "key" VARCHAR(32) NOT NULL, "capacity" INTEGER, "registration" VARCHAR(16) NOT NULL, "accept_limit" INTEGER, "product_ids" TEXT NOT NULL, "badge_layout" VARCHAR(16) NOT NULL, "position" INTEGER NOT NULL, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "participant_group_organization_id" ON "participant_group" ("organization_id")',
        'CREATE INDEX "participant_group_event_id" ON "participant_group" ("event_id")',
        'CREATE UNIQUE INDEX "participant_group_key" ON "participant_group" ("key")',
        'CREATE UNIQUE INDEX "participant_group_event_id_name" ON "participant_group" ("event_id", "name")',
        'ALTER TABLE "invitation" ADD COLUMN "group_id" INTEGER REFERENCES "participant_group" ("id") ON DELETE SET NULL',
        'ALTER TABLE "invitation" ADD COLUMN "declined_at" TIMESTAMP',
        'CREATE INDEX "invitation_group_id" ON "invitation" ("group_id")',
        'ALTER TABLE "registrant" ADD COLUMN "group_id" INTEGER REFERENCES "participant_group" ("id") ON DELETE SET NULL',
        'CREATE INDEX "registrant_group_id" ON "registrant" ("group_id")',
        'CREATE TABLE "document" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER, "title" VARCHAR(200) NOT NULL, "filename" VARCHAR(200) NOT NULL, "content_type" VARCHAR(100) NOT NULL, "size" INTEGER NOT NULL, "storage_key" VARCHAR(300) NOT NULL, "visibility" VARCHAR(16) NOT NULL, "group_ids" TEXT NOT NULL, "uploaded_by_id" INTEGER, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE, FOREIGN KEY ("uploaded_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "document_organization_id" ON "document" ("organization_id")',
        'CREATE INDEX "document_event_id" ON "document" ("event_id")',
        'CREATE UNIQUE INDEX "document_storage_key" ON "document" ("storage_key")',
        'CREATE INDEX "document_uploaded_by_id" ON "document" ("uploaded_by_id")',
        'CREATE INDEX "document_event_id_created_at" ON "document" ("event_id", "created_at")',
        'CREATE TABLE "event_announcement" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "body" TEXT NOT NULL, "posted_by_id" INTEGER, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE, FOREIGN KEY ("posted_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "event_announcement_organization_id" ON "event_announcement" ("organization_id")',
        'CREATE INDEX "event_announcement_event_id" ON "event_announcement" ("event_id")',
        'CREATE INDEX "event_announcement_posted_by_id" ON "event_announcement" ("posted_by_id")',
        'CREATE INDEX "event_announcement_event_id_created_at" ON "event_announcement" ("event_id", "created_at")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
    p = db.param
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for event_id, organization_id in db.execute_sql('SELECT "id", "organization_id" FROM "event"').fetchall():
        db.execute_sql(
            'INSERT INTO "participant_group" ("organization_id", "event_id", "name", "is_default", "key", '
            '"registration", "product_ids", "badge_layout", "position", "created_at") '
            f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})",
            (organization_id, event_id, "Attendees", True, secrets.token_hex(8), "open", "[]", "standard", 0, now),
        )
    db.execute_sql(
        'UPDATE "registrant" SET "group_id" = (SELECT g."id" FROM "participant_group" g '
        'WHERE g."event_id" = "registrant"."event_id" AND g."is_default")'
    )
