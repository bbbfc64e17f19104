"""The offline door: signed ticket secrets (an event setting and its Ed25519 key pair, longer
secrets), the review list of offline admissions the server refused, and the indexes the door
devices' changes-since-a-cursor read."""

from webapp.migrate import run_sql

_INDEXES = [
    'CREATE INDEX "registrant_event_id_updated_at" ON "registrant" ("event_id", "updated_at")',
    'CREATE INDEX "order_event_id_updated_at" ON "order" ("event_id", "updated_at")',
    'CREATE INDEX "attendance_checkin_list_id_updated_at" ON "attendance" ("checkin_list_id", "updated_at")',
    'CREATE INDEX "ticket_signing_key_organization_id" ON "ticket_signing_key" ("organization_id")',
    'CREATE UNIQUE INDEX "ticket_signing_key_event_id" ON "ticket_signing_key" ("event_id")',
    'CREATE INDEX "admission_review_organization_id" ON "admission_review" ("organization_id")',
    'CREATE INDEX "admission_review_event_id" ON "admission_review" ("event_id")',
    'CREATE INDEX "admission_review_checkin_list_id" ON "admission_review" ("checkin_list_id")',
    'CREATE INDEX "admission_review_registrant_id" ON "admission_review" ("registrant_id")',
    'CREATE UNIQUE INDEX "admission_review_checkin_id" ON "admission_review" ("checkin_id")',
    'CREATE INDEX "admission_review_resolved_by_id" ON "admission_review" ("resolved_by_id")',
    'CREATE INDEX "admission_review_event_id_resolved_at" ON "admission_review" ("event_id", "resolved_at")',
]


def _tables(serial: str, ts: str) -> list[str]:
    return [
        f'CREATE TABLE "ticket_signing_key" ("id" {serial} NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "public_key" VARCHAR(64) NOT NULL, "private_key" TEXT NOT NULL, "created_at" {ts} NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE)',
        f'CREATE TABLE "admission_review" ("id" {serial} NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER NOT NULL, "checkin_list_id" INTEGER NOT NULL, "registrant_id" INTEGER, "checkin_id" INTEGER NOT NULL, "reason" VARCHAR(24) NOT NULL, "device" VARCHAR(64) NOT NULL, "device_time" {ts}, "previous_at" {ts}, "previous_gate" VARCHAR(64) NOT NULL, "resolved_at" {ts}, "resolved_by_id" INTEGER, "resolution" VARCHAR(300) NOT NULL, "created_at" {ts} NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE, FOREIGN KEY ("checkin_list_id") REFERENCES "checkin_list" ("id") ON DELETE CASCADE, FOREIGN KEY ("registrant_id") REFERENCES "registrant" ("id") ON DELETE CASCADE, FOREIGN KEY ("checkin_id") REFERENCES "checkin" ("id") ON DELETE CASCADE, FOREIGN KEY ("resolved_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
    ]


SQL = {
    "sqlite": [
        'ALTER TABLE "event" ADD COLUMN "signed_tickets" INTEGER NOT NULL DEFAULT 0',
        # SQLite keeps any length in a VARCHAR: registrant.ticket_secret needs no change there.
        *_tables("INTEGER", "DATETIME"),
        *_INDEXES,
    ],
    "postgresql": [
        'ALTER TABLE "event" ADD COLUMN "signed_tickets" BOOLEAN NOT NULL DEFAULT FALSE',
        'ALTER TABLE "registrant" ALTER COLUMN "ticket_secret" TYPE VARCHAR(160)',
        *_tables("SERIAL", "TIMESTAMP"),
        *_INDEXES,
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
