"""For tests of a data migration: a database migrated up to the migration before the one under
test, where rows of the earlier versions are written straight into the tables."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from tests.conftest import TEST_DATABASE_URL, scratch_database_url
from webapp import migrate
from webapp.db import make_database


def migrate_before(database, version: str, monkeypatch) -> None:
    """Apply every migration numbered below `version`; the next `migrate.upgrade(database)`
    applies the rest."""
    every = migrate._migration_files()
    monkeypatch.setattr(migrate, "_migration_files", lambda: [p for p in every if p.stem < version])
    migrate.upgrade(database)
    monkeypatch.setattr(migrate, "_migration_files", lambda: every)


@contextlib.contextmanager
def database_before(version: str, tmp_path, monkeypatch) -> Iterator:
    """A connected scratch database (PostgreSQL when the suite runs on it) with every migration
    numbered below `version` applied and foreign keys not enforced (the old rows stand alone)."""
    with scratch_database_url(tmp_path) as url:
        database = make_database(url)
        database.connect()
        migrate_before(database, version, monkeypatch)
        database.execute_sql(
            "SET session_replication_role = replica" if TEST_DATABASE_URL else "PRAGMA foreign_keys = OFF"
        )
        try:
            yield database
        finally:
            database.close()
            if TEST_DATABASE_URL:
                database.close_all()


def insert_row(database, table: str, **values) -> None:
    """A row with `values`, every other NOT NULL column without a default given a plain value."""
    for column in database.get_columns(table):
        if column.name in values or column.null or column.primary_key or column.default is not None:
            continue
        kind = column.data_type.lower()
        if "int" in kind or "bool" in kind:
            values[column.name] = 0 if "int" in kind else False
        elif "time" in kind or "date" in kind:
            values[column.name] = "2026-01-02 03:04:05"
        else:
            values[column.name] = "[]" if column.name in ("languages", "tags", "answers") else "x"
    names = ", ".join(f'"{k}"' for k in values)
    marks = ", ".join([database.param] * len(values))
    database.execute_sql(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', list(values.values()))
