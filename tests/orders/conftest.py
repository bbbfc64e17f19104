"""Fixtures of the orders tests."""

from __future__ import annotations

import pytest

from tasks import huey
from tests.conftest import make_test_app
from webapp.db import db

RACERS = 16  # the most threads a race test runs at once


@pytest.fixture
def threaded_app(database_url, tmp_path):
    """An app whose connection pool serves a race: each thread connects on its own."""
    app = make_test_app(tmp_path, database_url, ENVIRON={"ROLLCALL_DB_POOL_SIZE": str(RACERS + 4)})
    huey.immediate = False  # side effects queue up instead of running inside the racing threads
    with app.app_context():
        db.connect(reuse_if_open=True)
        yield app
        if not db.is_closed():
            db.close()
    huey.flush()
    huey.immediate = True
    if hasattr(db.obj, "close_all"):
        db.obj.close_all()
