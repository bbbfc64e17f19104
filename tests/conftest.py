"""Fixtures: an app per test on its own database (a copy of a migrated template on SQLite; a
per-run database emptied between tests on PostgreSQL), Huey in immediate mode, and helpers.

TEST_DATABASE_URL=postgresql://user@host/db runs the suite on PostgreSQL (a database of its own is
created next to the one named and dropped at the end); TEST_HUEY_URL=redis://... points the Redis
tests at a server.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import peewee
import pytest

os.environ["HUEY_URL"] = "memory://"  # before tasks/ is imported: tests never touch a real queue
os.environ.setdefault("ROLLCALL_ENV", "test")
# Code that runs outside a test's app reads the settings from the environment: its instance folder
# (and the secret key generated there) is a temporary one, never the checkout's instance/.
os.environ["INSTANCE_DIR"] = tempfile.mkdtemp(prefix="rollcall-test-instance-")

import tasks.all  # noqa: E402, F401  (every work handler and receiver, as in the worker)
from tasks import huey  # noqa: E402
from webapp import migrate  # noqa: E402
from webapp.app import create_app  # noqa: E402
from webapp.db import db, make_database  # noqa: E402
from webapp.db.scratch import scratch_database  # noqa: E402

atexit.register(shutil.rmtree, os.environ["INSTANCE_DIR"], ignore_errors=True)

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
TEST_HUEY_URL = os.environ.get("TEST_HUEY_URL", "")
RUN_ID = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"

huey.immediate = True

pytest_plugins = ["tests.smtp"]


@contextlib.contextmanager
def scratch_database_url(tmp_path: Path):
    """The URL of an empty database of its own (a migration test's): a SQLite file under
    `tmp_path`, or a PostgreSQL database created next to the tests' one and dropped after."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    with scratch_database(TEST_DATABASE_URL, f"rollcall_migrate_{uuid.uuid4().hex[:8]}") as url:
        yield url


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """Migrate once per test run; tests get copies (SQLite) or an emptied database (PostgreSQL)."""
    if TEST_DATABASE_URL:
        with scratch_database(TEST_DATABASE_URL, f"rollcall_test_{RUN_ID}") as url:
            database = make_database(url)
            with database.connection_context():
                migrate.upgrade(database)
            database.close_all()
            yield {"kind": "postgresql", "url": url}
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        database = make_database(f"sqlite:///{path}")
        with database.connection_context():
            migrate.upgrade(database)
            database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        yield {"kind": "sqlite", "path": path}


def _database_url(template, tmp_path: Path) -> str:
    if template["kind"] == "sqlite":
        target = tmp_path / "rollcall.db"
        shutil.copyfile(template["path"], target)
        return f"sqlite:///{target}"
    database = make_database(template["url"])
    with database.connection_context():
        if "empty" not in template:
            template["empty"] = _emptying_statements(database)
        database.execute_sql(template["empty"])
    database.close_all()
    return template["url"]


# The sequences that belong to a table's column (what TRUNCATE ... RESTART IDENTITY restarts).
_OWNED_SEQUENCES = (
    "SELECT quote_ident(n.nspname) || '.' || quote_ident(s.relname) FROM pg_class s "
    "JOIN pg_namespace n ON n.oid = s.relnamespace "
    "JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') "
    "WHERE s.relkind = 'S'"
)


def _emptying_statements(database) -> str:
    """One message that empties every table of the PostgreSQL test database for the next test, as
    TRUNCATE ... RESTART IDENTITY CASCADE does, in a few milliseconds instead of 0.7 s (TRUNCATE
    makes new files for ~90 tables and their indexes, once per test): DELETE with triggers and
    foreign keys off (session_replication_role), then each table's sequences restarted."""
    tables = [t for t in database.get_tables() if t != "schema_migration"]
    sequences = [row[0] for row in database.execute_sql(_OWNED_SEQUENCES)]
    return "; ".join(
        [
            "SET session_replication_role = replica",
            *(f'DELETE FROM "{t}"' for t in tables),
            *(f"ALTER SEQUENCE {s} RESTART" for s in sequences),
            "SET session_replication_role = DEFAULT",
        ]
    )


def make_test_app(tmp_path: Path, database_url: str, **overrides):
    environ = {
        "ROLLCALL_ENV": "test",
        "DATABASE_URL": database_url,
        "HUEY_URL": "memory://",
        "SECRET_KEY": "test-secret-key-0123456789abcdef",
        "BASE_URL": "http://rollcall.test",
        "INSTANCE_DIR": str(tmp_path / "instance"),
        "ROLLCALL_TEST_GATEWAY": "true",
        "ROLLCALL_DB_POOL_SIZE": "16",  # race tests run more threads than a web worker has
        "ROLLCALL_APNS_URL": "https://127.0.0.1:9",  # no test reaches Apple (a closed port answers at once)
    }
    environ.update(overrides.pop("ENVIRON", {}))
    config = {"TESTING": True, "WTF_CSRF_ENABLED": False, "ENVIRON": environ}
    config.update(overrides)
    app = create_app(config)
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_g)
    return app


def _fresh_g():
    # Tests hold an app context open, and Flask reuses it for the test client's requests: without
    # this, `g` (the CSRF token, the signed-in user, the locale) would leak from one request into
    # the next, which never happens in production.
    from flask import g

    g.__dict__.clear()


@pytest.fixture
def database_url(database_template, tmp_path):
    return _database_url(database_template, tmp_path)


@pytest.fixture
def app(database_url, tmp_path):
    app = make_test_app(tmp_path, database_url)
    huey.immediate = True
    with app.app_context():
        db.connect(reuse_if_open=True)
        yield app
        if not db.is_closed():
            db.close()
    if isinstance(db.obj, peewee.PostgresqlDatabase):
        db.obj.close_all()


@pytest.fixture
def csrf_app(database_url, tmp_path):
    """The app with CSRF protection on, as in production."""
    app = make_test_app(tmp_path, database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.connect(reuse_if_open=True)
        yield app
        if not db.is_closed():
            db.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Auth:
    """Sign test clients in as a user (through the real login form)."""

    def __init__(self, app):
        self.app = app

    def login(self, client, user, password: str = "correct horse battery"):
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    def client_for(self, user, org=None, password: str = "correct horse battery"):
        client = self.app.test_client()
        self.login(client, user, password)
        if org is not None:
            client.post("/switch-org", data={"org_id": org.id})
        return client


@pytest.fixture
def auth(app):
    return Auth(app)
