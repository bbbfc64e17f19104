"""Migrations 0510 and 0511 on a database holding the rows of earlier versions: console jobs,
contact imports and badge builds become jobs (their waiting work pointing at them), pending
tracked events get their work items."""

from __future__ import annotations

import json

import pytest

from tests.migrations import database_before, insert_row
from webapp import migrate

T = "2026-01-02 03:04:05"


@pytest.fixture
def old_database(tmp_path, monkeypatch):
    """A database migrated up to 0500 (foreign keys not enforced: the rows stand alone)."""
    with database_before("0510", tmp_path, monkeypatch) as database:
        yield database


def _rows(database, sql: str) -> list[dict]:
    cursor = database.execute_sql(sql)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _work(database, kind: str, payload: dict) -> None:
    insert_row(database, "work_item", kind=kind, payload=json.dumps(payload), priority=0, run_after=T, attempts=0,
            max_attempts=8, created_at=T)  # fmt: skip


def test_old_jobs_become_jobs_and_their_waiting_work_follows(old_database):
    db = old_database
    insert_row(db, "console_job", id=7, organization_id=1, event_id=2, user_id=3, kind="bulk", state="running",
            params='{"action":"resend"}', total=10, processed=4, created_rows=0, updated_rows=4, skipped_rows=0,
            failed_rows=0, row_errors="[]", created_at=T, started_at=T, heartbeat_at=T, runs=1, last_done_id=44)  # fmt: skip
    _work(db, "console.run_bulk_job", {"job_id": 7})
    for import_id, state in ((3, "uploaded"), (4, "queued")):
        insert_row(db, "contact_import", id=import_id, organization_id=1, user_id=3, filename="c.csv",
                path="contact_imports/1/c.csv", encoding="utf-8-sig", delimiter=",", headers='["Email"]',
                mapping='{"0":"email"}', label_names='["VIP"]', state=state, total_rows=5, processed_rows=0,
                created_count=0, updated_count=0, error_count=0, errors="[]", created_at=T)  # fmt: skip
    _work(db, "contacts.run_import", {"import_id": 4})
    insert_row(db, "badge_job", id=1, organization_id=1, event_id=2, created_by_id=3,
            selection='{"product_ids":[5],"attended_only":false}', status="done", total=3, done=3,
            file_path="badges/b.pdf", created_at=T, finished_at=T)  # fmt: skip
    for n in range(3):
        insert_row(db, "incoming_event", organization_id=1, type="signup", email=f"{n}@example.org", occurred_at=T,
                properties="{}", status="pending" if n else "processed", received_at=T)  # fmt: skip
    _work(db, "contacts.process_incoming_events", {})

    migrate.upgrade(db)

    jobs = {row["id"]: row for row in _rows(db, 'SELECT * FROM "job" ORDER BY "id"')}
    bulk = jobs[7]
    assert (bulk["kind"], bulk["state"], bulk["processed"], bulk["updated_rows"], bulk["runs"]) == (
        "bulk", "running", 4, 4, 1,
    )  # fmt: skip
    assert json.loads(bulk["checkpoint"]) == {"last_done_id": 44}
    mapping, queued, badges = jobs[8], jobs[9], jobs[10]
    assert (mapping["kind"], mapping["state"], mapping["event_id"], mapping["total"]) == (
        "contacts_import",
        "mapping",
        None,
        5,
    )
    assert json.loads(mapping["params"])["label_names"] == ["VIP"]
    assert queued["state"] == "queued"
    assert (badges["kind"], badges["state"], badges["processed"], badges["user_id"]) == ("badges", "done", 3, 3)
    assert json.loads(badges["params"]) == {"product_ids": [5], "attended_only": False, "file_path": "badges/b.pdf"}

    work = sorted(
        ((row["kind"], json.loads(row["payload"])) for row in _rows(db, 'SELECT * FROM "work_item"')),
        key=lambda item: (item[0], json.dumps(item[1])),
    )
    assert work == [
        ("contacts.process_incoming_events", {"first": 2, "last": 3, "org": 1}),
        ("job.run", {"job_id": 7}),
        ("job.run", {"job_id": 9}),
    ]
    assert not {"console_job", "contact_import", "badge_job"} & set(db.get_tables())
    assert "claim" not in {c.name for c in db.get_columns("incoming_event")}
    # New jobs take ids after the copies.
    insert_row(db, "job", organization_id=1, kind="export", state="queued", params="{}", total=0, processed=0,
            created_rows=0, updated_rows=0, skipped_rows=0, failed_rows=0, row_errors="[]", checkpoint="{}",
            created_at=T, runs=0)  # fmt: skip
    assert max(row["id"] for row in _rows(db, 'SELECT "id" FROM "job"')) == 11
