"""Counting what a piece of code sends to PostgreSQL: every statement through the open
connection's cursors (BEGIN, COMMIT and the pool's own checks included), with a real cursor that
also notes what it ran."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2.extensions
import pytest

from tasks import huey
from tests.conftest import TEST_DATABASE_URL

on_postgres = pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL only (TEST_DATABASE_URL)")


class _NotingCursor(psycopg2.extensions.cursor):
    sent: list[str] | None = None

    def execute(self, sql, params=None):
        if _NotingCursor.sent is not None and not str(sql).startswith("PREPARE "):
            _NotingCursor.sent.append(" ".join(str(sql).split()))
        return super().execute(sql, params)


@contextmanager
def statements_sent(connection) -> Iterator[list[str]]:
    """The statements sent through `connection` (a psycopg2 connection) inside the block, but a
    statement's PREPARE (once per connection: see webapp/db/prepared.py)."""
    sent: list[str] = []
    before = connection.cursor_factory
    connection.cursor_factory = _NotingCursor
    _NotingCursor.sent = sent
    try:
        yield sent
    finally:
        _NotingCursor.sent = None
        connection.cursor_factory = before


@pytest.fixture
def worker_elsewhere(app):
    """Work recorded by the code under test waits for a worker (as in production) instead of
    running at once in this thread, where its statements would count too."""
    huey.immediate = False
    try:
        yield
    finally:
        huey.flush()
        huey.immediate = True
