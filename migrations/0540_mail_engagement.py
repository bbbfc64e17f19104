"""Mail engagement: each outbox row names its send (`send_key`) and the contact it went to
(`contact_id`), and opens and clicks are recorded in `mail_engagement`. Existing rows are
backfilled: the send from the kind of the email (an automation's from its run), the contact by the
normalized recipient address within the organization."""

from webapp.migrate import run_sql

# Mail to the people of an event: their send is their kind. Account mail (invite, password_reset)
# goes to users, not contacts, and has no send.
EVENT_KINDS = ("ticket", "payment", "checkin", "bank_transfer", "order.approved", "order.declined",
               "waitlist.offer", "invitation")  # fmt: skip
_KINDS = ", ".join(f"'{kind}'" for kind in EVENT_KINDS)

_ENGAGEMENT = (
    '"organization_id" INTEGER NOT NULL, "outbox_id" INTEGER NOT NULL, "contact_id" INTEGER, '
    '"kind" VARCHAR(8) NOT NULL, "url" VARCHAR(2000), "machine" {bool} NOT NULL, "occurred_at" {ts} NOT NULL, '
    'FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("outbox_id") REFERENCES "outbox" ("id") ON DELETE CASCADE'
)

BACKFILL = [
    f'UPDATE "outbox" SET "send_key" = "kind" WHERE "organization_id" IS NOT NULL AND "kind" IN ({_KINDS})',
    'UPDATE "outbox" SET "send_key" = (SELECT \'automation:\' || CAST(MIN(r."automation_id") AS TEXT) '
    'FROM "automation_run" r WHERE r."outbox_id" = "outbox"."id") '
    'WHERE "kind" = \'automation\' AND EXISTS (SELECT 1 FROM "automation_run" r WHERE r."outbox_id" = "outbox"."id")',
    'UPDATE "outbox" SET "contact_id" = (SELECT c."id" FROM "contact" c '
    'WHERE c."organization_id" = "outbox"."organization_id" AND c."email" = LOWER(TRIM("outbox"."to_email"))) '
    'WHERE "organization_id" IS NOT NULL AND "send_key" IS NOT NULL',
]
_COMMON = [
    'ALTER TABLE "outbox" ADD COLUMN "send_key" VARCHAR(64)',
    'ALTER TABLE "outbox" ADD COLUMN "contact_id" INTEGER',
    'CREATE INDEX "outbox_contact_id_send_key" ON "outbox" ("contact_id", "send_key")',
    *BACKFILL,
]
_INDEXES = [
    'CREATE INDEX "mail_engagement_organization_id" ON "mail_engagement" ("organization_id")',
    'CREATE INDEX "mail_engagement_outbox_id" ON "mail_engagement" ("outbox_id")',
    'CREATE INDEX "mail_engagement_organization_id_contact_id_kind_occurred_at" '
    'ON "mail_engagement" ("organization_id", "contact_id", "kind", "occurred_at")',
]

SQL = {
    "sqlite": [
        *_COMMON,
        'CREATE TABLE "mail_engagement" ("id" INTEGER NOT NULL PRIMARY KEY, '
        + _ENGAGEMENT.format(bool="INTEGER", ts="DATETIME")
        + ")",
        *_INDEXES,
    ],
    "postgresql": [
        *_COMMON,
        'CREATE TABLE "mail_engagement" ("id" SERIAL NOT NULL PRIMARY KEY, '
        + _ENGAGEMENT.format(bool="BOOLEAN", ts="TIMESTAMP")
        + ")",
        *_INDEXES,
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
