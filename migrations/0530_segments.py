"""Segments: saved condition trees and their daily counts; where a contact came from and when it
subscribed."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'ALTER TABLE "contact" ADD COLUMN "source" VARCHAR(32) NOT NULL DEFAULT \'\'',
        'ALTER TABLE "contact" ADD COLUMN "subscribed_at" DATETIME',
        'CREATE TABLE "segment" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "name" VARCHAR(120) NOT NULL, "description" TEXT NOT NULL, "tree" TEXT NOT NULL, "created_by_id" INTEGER, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "segment_organization_id" ON "segment" ("organization_id")',
        'CREATE INDEX "segment_created_by_id" ON "segment" ("created_by_id")',
        'CREATE UNIQUE INDEX "segment_organization_id_name" ON "segment" ("organization_id", "name")',
        'CREATE TABLE "segment_count" ("id" INTEGER NOT NULL PRIMARY KEY, "segment_id" INTEGER NOT NULL, "day" DATE NOT NULL, "count" INTEGER NOT NULL, FOREIGN KEY ("segment_id") REFERENCES "segment" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "segment_count_segment_id" ON "segment_count" ("segment_id")',
        'CREATE UNIQUE INDEX "segment_count_segment_id_day" ON "segment_count" ("segment_id", "day")',
    ],
    "postgresql": [
        'ALTER TABLE "contact" ADD COLUMN "source" VARCHAR(32) NOT NULL DEFAULT \'\'',
        'ALTER TABLE "contact" ADD COLUMN "subscribed_at" TIMESTAMP',
        'CREATE TABLE "segment" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "name" VARCHAR(120) NOT NULL, "description" TEXT NOT NULL, "tree" TEXT NOT NULL, "created_by_id" INTEGER, "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "segment_organization_id" ON "segment" ("organization_id")',
        'CREATE INDEX "segment_created_by_id" ON "segment" ("created_by_id")',
        'CREATE UNIQUE INDEX "segment_organization_id_name" ON "segment" ("organization_id", "name")',
        'CREATE TABLE "segment_count" ("id" SERIAL NOT NULL PRIMARY KEY, "segment_id" INTEGER NOT NULL, "day" DATE NOT NULL, "count" INTEGER NOT NULL, FOREIGN KEY ("segment_id") REFERENCES "segment" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "segment_count_segment_id" ON "segment_count" ("segment_id")',
        'CREATE UNIQUE INDEX "segment_count_segment_id_day" ON "segment_count" ("segment_id", "day")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
