"""DATABASE_URL as libpq reads it: a PostgreSQL server on this machine can be reached over its
Unix socket (`postgresql://user@/db?host=/var/run/postgresql`), as a one-machine install usually
reaches it (peer authentication, no password in the URL)."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import pytest
from flask import current_app

from tests.round_trips import on_postgres
from webapp.db.connection import make_database

SOCKET_DIR = "/var/run/postgresql"


def test_the_host_of_the_query_names_the_socket_folder():
    database = make_database("postgresql://rollcall@/rollcall?host=/run/postgresql")
    assert database.database == "rollcall"
    assert database.connect_params["host"] == "/run/postgresql"
    assert database.connect_params["user"] == "rollcall"


def test_without_it_the_address_of_the_url_is_used():
    database = make_database("postgresql://rollcall:s3cret@db.internal:6432/rollcall")
    assert database.connect_params["host"] == "db.internal"
    assert database.connect_params["port"] == 6432
    assert database.connect_params["password"] == "s3cret"


@on_postgres
@pytest.mark.skipif(not os.path.exists(SOCKET_DIR), reason="no PostgreSQL socket folder on this machine")
def test_a_connection_over_the_socket_reaches_the_same_database(app):
    parts = urlsplit(current_app.config["SETTINGS"].database_url)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        pytest.skip("the test database is not on this machine")
    user = f"{parts.username}@" if parts.username else ""
    over_socket = make_database(urlunsplit(("postgresql", user, parts.path, f"host={SOCKET_DIR}", "")))
    with over_socket.connection_context():
        address, name = over_socket.execute_sql("SELECT inet_server_addr(), current_database()").fetchone()
    over_socket.close_all()
    assert address is None  # a Unix socket has no address; over TCP this is 127.0.0.1
    assert name == parts.path.lstrip("/")
