"""Project files become documents owned by the project: `document` gets `project_id` (deleted
with its project) and a check that exactly one owner is set; every `project_file` row moves into
it, pointing at the same storage key (its bytes stay where they are), and `project_file` goes."""

from webapp.migrate import run_sql

COLUMNS = (
    '"id", "organization_id", "event_id", "title", "filename", "content_type", "size", "storage_key", "visibility", '
    '"group_ids", "uploaded_by_id", "created_at"'
)
ONE_OWNER = 'CHECK (("event_id" IS NULL) <> ("project_id" IS NULL))'

SQL = {
    # SQLite adds no constraint to a table: the table is rebuilt (nothing references it).
    "sqlite": [
        'CREATE TABLE "document_new" ("id" INTEGER NOT NULL PRIMARY KEY, "organization_id" INTEGER NOT NULL, "event_id" INTEGER, "project_id" INTEGER, "title" VARCHAR(200) NOT NULL, "filename" VARCHAR(200) NOT NULL, "content_type" VARCHAR(100) NOT NULL, "size" INTEGER NOT NULL, "storage_key" VARCHAR(300) NOT NULL, "visibility" VARCHAR(16) NOT NULL, "group_ids" TEXT NOT NULL, "uploaded_by_id" INTEGER, "created_at" DATETIME NOT NULL, FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE, FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE CASCADE, FOREIGN KEY ("uploaded_by_id") REFERENCES "user" ("id") ON DELETE SET NULL, '
        + ONE_OWNER
        + ")",
        f'INSERT INTO "document_new" ({COLUMNS}) SELECT {COLUMNS} FROM "document"',
        'DROP TABLE "document"',
        'ALTER TABLE "document_new" RENAME TO "document"',
        'CREATE INDEX "document_organization_id" ON "document" ("organization_id")',
        'CREATE INDEX "document_event_id" ON "document" ("event_id")',
        'CREATE UNIQUE INDEX "document_storage_key" ON "document" ("storage_key")',
        'CREATE INDEX "document_uploaded_by_id" ON "document" ("uploaded_by_id")',
        'CREATE INDEX "document_event_id_created_at" ON "document" ("event_id", "created_at")',
        'CREATE INDEX "document_project_id_created_at" ON "document" ("project_id", "created_at")',
    ],
    "postgresql": [
        'ALTER TABLE "document" ADD COLUMN "project_id" INTEGER REFERENCES "project" ("id") ON DELETE CASCADE',
        f'ALTER TABLE "document" ADD CONSTRAINT "document_one_owner" {ONE_OWNER}',
        'CREATE INDEX "document_project_id_created_at" ON "document" ("project_id", "created_at")',
    ],
}


def _title(name: str) -> str:
    """The document's title: the file's name without its extension (the name when nothing is left)."""
    stem = name.rsplit(".", 1)[0].strip() if "." in name else name
    return stem or name


def upgrade(db, migrator):
    run_sql(db, SQL)
    rows = db.execute_sql(
        'SELECT "organization_id", "project_id", "name", "key", "content_type", "size", "uploaded_by_id", '
        '"created_at" FROM "project_file" ORDER BY "id"'
    ).fetchall()
    marks = ", ".join([db.param] * 11)
    for org_id, project_id, name, key, content_type, size, uploaded_by, created_at in rows:
        db.execute_sql(
            'INSERT INTO "document" ("organization_id", "project_id", "title", "filename", "content_type", "size", '
            f'"storage_key", "visibility", "group_ids", "uploaded_by_id", "created_at") VALUES ({marks})',
            (
                org_id,
                project_id,
                _title(name),
                name,
                content_type,
                size,
                key,
                "operators",
                "[]",
                uploaded_by,
                created_at,
            ),
        )
    db.execute_sql('DROP TABLE "project_file"')
