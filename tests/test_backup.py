"""`flask backup`: an online copy of the SQLite database, taken while requests keep writing."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from tests.conftest import TEST_DATABASE_URL, make_test_app
from tests.factories.accounts import make_org
from webapp import backup
from webapp.db import db

pytestmark = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite's backup; PostgreSQL uses pg_dump")


def _count(path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]


def test_backup_copies_the_database_into_a_checked_file(app, runner, tmp_path):
    make_org("Backed Up Org")
    db.close()
    target = tmp_path / "copies" / "rollcall.db"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "checked" in result.output
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT name FROM organization").fetchall() == [("Backed Up Org",)]
        assert conn.execute("SELECT COUNT(*) FROM schema_migration").fetchone()[0] > 0
    assert not (tmp_path / "copies" / "rollcall.db-wal").exists()


def test_backup_into_a_folder_makes_a_dated_file_and_never_overwrites_without_force(app, runner, tmp_path):
    first = runner.invoke(args=["backup", str(tmp_path)])
    assert first.exit_code == 0, first.output
    made = sorted(tmp_path.glob("rollcall-*.db"))
    assert len(made) == 1
    refused = runner.invoke(args=["backup", str(made[0])])
    assert refused.exit_code != 0 and "exists already" in refused.output
    forced = runner.invoke(args=["backup", str(made[0]), "--force"])
    assert forced.exit_code == 0, forced.output


def test_backup_taken_while_writers_commit_is_one_consistent_state(app, tmp_path, monkeypatch):
    """Writers keep committing pairs of rows (one transaction each) during the copy: the copy
    finishes (a stepped copy would start over at every write and never end), has whole pairs only
    and passes the integrity check."""
    source = backup.sqlite_path(app.config["SETTINGS"].database_url)
    with sqlite3.connect(source) as conn:
        conn.execute("CREATE TABLE pair (id INTEGER PRIMARY KEY, side TEXT, filler BLOB)")
        conn.executemany("INSERT INTO pair (side, filler) VALUES (?, randomblob(4000))", [("x",)] * 4000)
    stop = threading.Event()
    written = [0]

    def writer():
        conn = sqlite3.connect(source, timeout=30)
        while not stop.is_set():
            with conn:
                conn.execute("INSERT INTO pair (side, filler) VALUES ('a', randomblob(100))")
                conn.execute("INSERT INTO pair (side, filler) VALUES ('b', randomblob(100))")
            written[0] += 1
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        backup.backup_sqlite(source, tmp_path / "copy.db")
    finally:
        stop.set()
        thread.join()
    assert written[0] > 0
    with sqlite3.connect(tmp_path / "copy.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        sides = dict(conn.execute("SELECT side, COUNT(*) FROM pair WHERE side IN ('a', 'b') GROUP BY side").fetchall())
    assert sides.get("a", 0) == sides.get("b", 0)


def test_on_postgresql_the_command_gives_the_pg_dump_routine(tmp_path, database_url):
    app = make_test_app(tmp_path, "postgresql://rollcall@127.0.0.1:5432/test")
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "x.db")])
    assert result.exit_code != 0 and "pg_dump" in result.output
    assert not (tmp_path / "x.db").exists()
