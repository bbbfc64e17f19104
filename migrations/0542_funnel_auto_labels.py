"""The funnel's default rules: what used to raise stages by itself (registering, paying, checking
in, paying for a second event) now adds a label ("registered", "paid", "attended", "repeat
buyer"), and the label's stage rule moves the contact. Every organization gets the labels (an
existing label of the same name is reused as it is) and the auto_label rows that switch them on.
Contacts get the labels their history earns, without any stage change: everyone keeps their stage."""

from webapp.migrate import run_sql

# trigger: (label name, colour, stage rule of a new label)
DEFAULTS = {
    "registered": ("registered", "#0ea5e9", "engaged"),
    "paid": ("paid", "#16a34a", "customer"),
    "attended": ("attended", "#7c3aed", "engaged"),
    "repeat_buyer": ("repeat buyer", "#b45309", "loyal_customer"),
}

_TABLE = (
    '"organization_id" INTEGER NOT NULL, "trigger" VARCHAR(16) NOT NULL, "label_id" INTEGER, '
    '"active" {bool} NOT NULL, "created_at" {ts} NOT NULL, '
    'FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("label_id") REFERENCES "label" ("id") ON DELETE SET NULL'
)
_INDEXES = [
    'CREATE INDEX "auto_label_organization_id" ON "auto_label" ("organization_id")',
    'CREATE INDEX "auto_label_label_id" ON "auto_label" ("label_id")',
    'CREATE UNIQUE INDEX "auto_label_organization_id_trigger" ON "auto_label" ("organization_id", "trigger")',
]

# Who has earned each label: (organization id, contact id) rows.
_EARNED = {
    "registered": 'SELECT DISTINCT r."organization_id", r."contact_id" FROM "registrant" r WHERE r."contact_id" IS NOT NULL',
    "paid": 'SELECT DISTINCT r."organization_id", r."contact_id" FROM "registrant" r '
    'JOIN "order" o ON o."id" = r."order_id" '
    'WHERE r."contact_id" IS NOT NULL AND o."status" = \'paid\' AND o."total" > 0',
    "attended": 'SELECT DISTINCT r."organization_id", r."contact_id" FROM "registrant" r '
    'WHERE r."contact_id" IS NOT NULL AND EXISTS (SELECT 1 FROM "checkin" c '
    'WHERE c."registrant_id" = r."id" AND c."result" = \'ok\' AND c."kind" = \'entry\')',
    "repeat_buyer": 'SELECT r."organization_id", r."contact_id" FROM "registrant" r '
    'JOIN "order" o ON o."id" = r."order_id" '
    'WHERE r."contact_id" IS NOT NULL AND o."status" = \'paid\' AND o."total" > 0 '
    'GROUP BY r."organization_id", r."contact_id" HAVING COUNT(DISTINCT r."event_id") >= 2',
}


def _defaults(now: str, true: str) -> list[str]:
    statements = []
    for trigger, (name, color, stage) in DEFAULTS.items():
        statements += [
            'INSERT INTO "label" ("organization_id", "name", "color", "stage", "created_at") '
            f"SELECT o.\"id\", '{name}', '{color}', '{stage}', {now} FROM \"organization\" o "
            f'WHERE NOT EXISTS (SELECT 1 FROM "label" l WHERE l."organization_id" = o."id" '
            f"AND LOWER(l.\"name\") = '{name}')",
            'INSERT INTO "auto_label" ("organization_id", "trigger", "label_id", "active", "created_at") '
            f'SELECT o."id", \'{trigger}\', (SELECT MIN(l."id") FROM "label" l '
            f'WHERE l."organization_id" = o."id" AND LOWER(l."name") = \'{name}\'), {true}, {now} '
            'FROM "organization" o',
            'INSERT INTO "contact_label" ("organization_id", "contact_id", "label_id", "created_at") '
            f'SELECT e."organization_id", e."contact_id", a."label_id", {now} FROM ({_EARNED[trigger]}) e '
            'JOIN "auto_label" a ON a."organization_id" = e."organization_id" '
            f"AND a.\"trigger\" = '{trigger}' "
            'WHERE NOT EXISTS (SELECT 1 FROM "contact_label" cl '
            'WHERE cl."contact_id" = e."contact_id" AND cl."label_id" = a."label_id")',
        ]
    return statements


SQL = {
    "sqlite": [
        'CREATE TABLE "auto_label" ("id" INTEGER NOT NULL PRIMARY KEY, '
        + _TABLE.format(bool="INTEGER", ts="DATETIME")
        + ")",
        *_INDEXES,
        *_defaults("CURRENT_TIMESTAMP", "1"),
    ],
    "postgresql": [
        'CREATE TABLE "auto_label" ("id" SERIAL NOT NULL PRIMARY KEY, '
        + _TABLE.format(bool="BOOLEAN", ts="TIMESTAMP")
        + ")",
        *_INDEXES,
        *_defaults("(now() AT TIME ZONE 'utc')", "TRUE"),
    ],
}


def upgrade(db, migrator):
    run_sql(db, SQL)
