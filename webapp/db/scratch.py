"""Scratch PostgreSQL databases, made beside the one a URL names and dropped afterwards: the test
suite's per-run database, the worker tier's, the migration tests' old databases and the
benchmarks' instances all come from here."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

from webapp.db.connection import make_database


def sibling_url(url: str, name: str) -> str:
    """The URL of database `name` on the server `url` names."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def create_database(admin_url: str, name: str, replace: bool = False) -> str:
    """Create database `name` on the server of `admin_url` (dropping a leftover of that name first
    when `replace`); returns its URL."""
    admin = make_database(admin_url)
    with admin.connection_context():
        if replace:
            admin.execute_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute_sql(f'CREATE DATABASE "{name}"')
    admin.close_all()
    return sibling_url(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    """Drop database `name`, ending the sessions still connected to it (pools of the code under
    test, a killed worker's)."""
    admin = make_database(admin_url)
    with admin.connection_context():
        admin.execute_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        admin.execute_sql(f'DROP DATABASE IF EXISTS "{name}"')
    admin.close_all()


@contextlib.contextmanager
def scratch_database(admin_url: str, name: str, replace: bool = False) -> Iterator[str]:
    """A new, empty database `name` beside `admin_url`'s, dropped afterwards; yields its URL."""
    url = create_database(admin_url, name, replace=replace)
    try:
        yield url
    finally:
        drop_database(admin_url, name)
