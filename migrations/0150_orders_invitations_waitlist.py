"""Orders invitations waitlist."""

from webapp.migrate import run_sql

SQL = {
    "sqlite": [
        'CREATE TABLE "invitation" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "code" VARCHAR(32) NOT NULL, "email" VARCHAR(254) NOT NULL, "name" VARCHAR(200) NOT NULL, "product_ids" TEXT NOT NULL, "max_uses" INTEGER NOT NULL, "times_used" INTEGER NOT NULL, "sent_at" DATETIME, "revoked_at" DATETIME, "created_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "invitation_organization_id" ON "invitation" ("organization_id")',
        'CREATE INDEX "invitation_event_id" ON "invitation" ("event_id")',
        'CREATE UNIQUE INDEX "invitation_code" ON "invitation" ("code")',
        'CREATE INDEX "invitation_event_id_email" ON "invitation" ("event_id", "email")',
        'ALTER TABLE "order" ADD COLUMN "invitation_id" INTEGER',
        'CREATE INDEX "order_invitation_id" ON "order" ("invitation_id")',
        'ALTER TABLE "order_item" ADD COLUMN "canceled" INTEGER NOT NULL DEFAULT FALSE',
        'CREATE TABLE "waiting_list_entry" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "product_id" INTEGER NOT NULL, "name" VARCHAR(200) NOT NULL, "email" VARCHAR(254) NOT NULL, "locale" VARCHAR(8) NOT NULL, "position" INTEGER NOT NULL, "status" VARCHAR(16) NOT NULL, "token" VARCHAR(64) NOT NULL, "offered_at" DATETIME, "offer_expires_at" DATETIME, "order_id" INTEGER, "created_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE CASCADE, FOREIGN KEY ("order_id") REFERENCES "order" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "waiting_list_entry_organization_id" ON "waiting_list_entry" ("organization_id")',
        'CREATE INDEX "waiting_list_entry_event_id" ON "waiting_list_entry" ("event_id")',
        'CREATE INDEX "waiting_list_entry_product_id" ON "waiting_list_entry" ("product_id")',
        'CREATE UNIQUE INDEX "waiting_list_entry_token" ON "waiting_list_entry" ("token")',
        'CREATE INDEX "waiting_list_entry_order_id" ON "waiting_list_entry" ("order_id")',
        'CREATE INDEX "waiting_list_entry_product_id_status_position" ON "waiting_list_entry" ("product_id", "status", "position")',
        'CREATE INDEX "waiting_list_entry_event_id_email" ON "waiting_list_entry" ("event_id", "email")',
    ],
    "postgresql": [
        'CREATE TABLE "invitation" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "code" VARCHAR(32) NOT NULL, "email" VARCHAR(254) NOT NULL, "name" VARCHAR(200) NOT NULL, "product_ids" TEXT NOT NULL, "max_uses" INTEGER NOT NULL, "times_used" INTEGER NOT NULL, "sent_at" TIMESTAMP, "revoked_at" TIMESTAMP, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "invitation_organization_id" ON "invitation" ("organization_id")',
        'CREATE INDEX "invitation_event_id" ON "invitation" ("event_id")',
        'CREATE UNIQUE INDEX "invitation_code" ON "invitation" ("code")',
        'CREATE INDEX "invitation_event_id_email" ON "invitation" ("event_id", "email")',
        'ALTER TABLE "order" ADD COLUMN "invitation_id" INTEGER',
        'CREATE INDEX "order_invitation_id" ON "order" ("invitation_id")',
        'ALTER TABLE "order_item" ADD COLUMN "canceled" BOOLEAN NOT NULL DEFAULT FALSE',
        'CREATE TABLE "waiting_list_entry" ("id" SERIAL NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "product_id" INTEGER NOT NULL, "name" VARCHAR(200) NOT NULL, "email" VARCHAR(254) NOT NULL, "locale" VARCHAR(8) NOT NULL, "position" INTEGER NOT NULL, "status" VARCHAR(16) NOT NULL, "token" VARCHAR(64) NOT NULL, "offered_at" TIMESTAMP, "offer_expires_at" TIMESTAMP, "order_id" INTEGER, "created_at" TIMESTAMP NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE CASCADE, FOREIGN KEY ("order_id") REFERENCES "order" ("id") ON DELETE SET NULL)',
        'CREATE INDEX "waiting_list_entry_organization_id" ON "waiting_list_entry" ("organization_id")',
        'CREATE INDEX "waiting_list_entry_event_id" ON "waiting_list_entry" ("event_id")',
        'CREATE INDEX "waiting_list_entry_product_id" ON "waiting_list_entry" ("product_id")',
        'CREATE UNIQUE INDEX "waiting_list_entry_token" ON "waiting_list_entry" ("token")',
        'CREATE INDEX "waiting_list_entry_order_id" ON "waiting_list_entry" ("order_id")',
        'CREATE INDEX "waiting_list_entry_product_id_status_position" ON "waiting_list_entry" ("product_id", "status", "position")',
        'CREATE INDEX "waiting_list_entry_event_id_email" ON "waiting_list_entry" ("event_id", "email")',
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
