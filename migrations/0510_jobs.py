"""One table of long operator jobs (`job`, webapp.work.models.Job) instead of three: console jobs
(registrant imports, bulk actions, exports), contact imports and badge builds are copied into it,
their waiting work items point at the copies, and the old tables are dropped.

Console jobs keep their ids (their pages and API URLs stay the same); contact imports and badge
builds get new ones after them (an old bookmark of one of those pages answers 404). A contact
import waiting for its mapping (`uploaded`) is in `mapping`; a badge build's `status` is its
state, its selection and file are in `params`. Dropping is safe: every column has a place in
`job`, and the files they point at stay where they are."""

import json

from webapp.migrate import run_sql

_COLUMNS = (
    '"organization_id" INTEGER NOT NULL, "event_id" INTEGER, "user_id" INTEGER, "kind" VARCHAR(32) NOT NULL, '
    '"state" VARCHAR(16) NOT NULL, "params" TEXT NOT NULL, "total" INTEGER NOT NULL, "processed" INTEGER NOT NULL, '
    '"created_rows" INTEGER NOT NULL, "updated_rows" INTEGER NOT NULL, "skipped_rows" INTEGER NOT NULL, '
    '"failed_rows" INTEGER NOT NULL, "row_errors" TEXT NOT NULL, "error" TEXT, "checkpoint" TEXT NOT NULL, '
    '"created_at" {ts} NOT NULL, "started_at" {ts}, "finished_at" {ts}, "heartbeat_at" {ts}, '
    '"runs" INTEGER NOT NULL, '
    'FOREIGN KEY ("organization_id") REFERENCES "organization" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("event_id") REFERENCES "event" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE SET NULL'
)
_INDEXES = [
    'CREATE INDEX "job_organization_id" ON "job" ("organization_id")',
    'CREATE INDEX "job_event_id" ON "job" ("event_id")',
    'CREATE INDEX "job_organization_id_kind_created_at" ON "job" ("organization_id", "kind", "created_at")',
]
CREATE = {
    "sqlite": [
        'CREATE TABLE "job" ("id" INTEGER NOT NULL PRIMARY KEY, ' + _COLUMNS.format(ts="DATETIME") + ")",
        *_INDEXES,
    ],
    "postgresql": [
        'CREATE TABLE "job" ("id" SERIAL NOT NULL PRIMARY KEY, ' + _COLUMNS.format(ts="TIMESTAMP") + ")",
        *_INDEXES,
    ],
}
DROP = {
    "sqlite": ['DROP TABLE "console_job"', 'DROP TABLE "contact_import"', 'DROP TABLE "badge_job"'],
    "postgresql": [
        'DROP TABLE "console_job"',
        'DROP TABLE "contact_import"',
        'DROP TABLE "badge_job"',
        "SELECT setval(pg_get_serial_sequence('job', 'id'), COALESCE((SELECT MAX(\"id\") FROM \"job\"), 0) + 1, false)",
    ],
}
_FIELDS = (
    "id", "organization_id", "event_id", "user_id", "kind", "state", "params", "total", "processed", "created_rows",
    "updated_rows", "skipped_rows", "failed_rows", "row_errors", "error", "checkpoint", "created_at", "started_at",
    "finished_at", "heartbeat_at", "runs",
)  # fmt: skip


def _rows(db, sql):
    cursor = db.execute_sql(sql)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _insert(db, row: dict) -> None:
    values = {"skipped_rows": 0, "heartbeat_at": None, "started_at": None, "runs": 0, "checkpoint": "{}", **row}
    db.execute_sql(
        f'INSERT INTO "job" ({", ".join(f"{chr(34)}{f}{chr(34)}" for f in _FIELDS)}) '
        f"VALUES ({', '.join([db.param] * len(_FIELDS))})",
        [values[f] for f in _FIELDS],
    )


def _repoint(db, kind: str, key: str, ids: dict[int, int]) -> None:
    """Waiting work items of `kind` ({key: old id}) run the copied job now."""
    for item in _rows(db, f'SELECT "id", "payload" FROM "work_item" WHERE "kind" = \'{kind}\''):
        old = json.loads(item["payload"]).get(key)
        new = ids.get(old)
        if new is None:
            db.execute_sql(f'DELETE FROM "work_item" WHERE "id" = {db.param}', [item["id"]])
            continue
        db.execute_sql(
            f'UPDATE "work_item" SET "kind" = \'job.run\', "payload" = {db.param} WHERE "id" = {db.param}',
            [json.dumps({"job_id": new}), item["id"]],
        )


def _copy(db) -> None:
    console = _rows(db, 'SELECT * FROM "console_job" ORDER BY "id"')
    for row in console:
        last = row.pop("last_done_id")
        _insert(db, {**row, "checkpoint": json.dumps({"last_done_id": last} if last is not None else {})})
    kept = {row["id"]: row["id"] for row in console}
    for kind in ("console.run_import_job", "console.run_bulk_job", "console.run_export_job"):
        _repoint(db, kind, "job_id", kept)
    next_id = max([0, *kept]) + 1

    imports = {}
    for row in _rows(db, 'SELECT * FROM "contact_import" ORDER BY "id"'):
        params = {
            "filename": row["filename"],
            "path": row["path"],
            "encoding": row["encoding"],
            "delimiter": row["delimiter"],
            "headers": json.loads(row["headers"]),
            "mapping": json.loads(row["mapping"]),
            "label_names": json.loads(row["label_names"]),
        }
        errors = json.loads(row["errors"] or "[]")
        _insert(db, {
            "id": next_id, "organization_id": row["organization_id"], "event_id": None, "user_id": row["user_id"],
            "kind": "contacts_import", "state": {"uploaded": "mapping"}.get(row["state"], row["state"]),
            "params": json.dumps(params), "total": row["total_rows"], "processed": row["processed_rows"],
            "created_rows": row["created_count"], "updated_rows": row["updated_count"],
            "failed_rows": row["error_count"], "row_errors": json.dumps(errors), "error": row["failure"],
            "created_at": row["created_at"], "started_at": row["started_at"], "finished_at": row["finished_at"],
        })  # fmt: skip
        imports[row["id"]] = next_id
        next_id += 1
    _repoint(db, "contacts.run_import", "import_id", imports)

    builds = {}
    for row in _rows(db, 'SELECT * FROM "badge_job" ORDER BY "id"'):
        params = {**json.loads(row["selection"]), "file_path": row["file_path"]}
        _insert(db, {
            "id": next_id, "organization_id": row["organization_id"], "event_id": row["event_id"],
            "user_id": row["created_by_id"], "kind": "badges", "state": row["status"], "params": json.dumps(params),
            "total": row["total"], "processed": row["done"], "created_rows": 0, "updated_rows": 0, "failed_rows": 0,
            "row_errors": "[]", "error": row["error"], "created_at": row["created_at"], "finished_at": row["finished_at"],
        })  # fmt: skip
        builds[row["id"]] = next_id
        next_id += 1
    _repoint(db, "tickets.build_badges", "job_id", builds)


def upgrade(db, migrator):
    run_sql(db, CREATE)
    _copy(db)
    run_sql(db, DROP)
