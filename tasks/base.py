"""Helpers every task module uses."""

from __future__ import annotations

import functools
import logging

from webapp.db import db, on_commit, task_connection

log = logging.getLogger("rollcall.tasks")


def with_db(fn):
    """Give the task a database connection (reusing the caller's in immediate mode)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        _ensure_bound()
        with task_connection():
            return fn(*args, **kwargs)

    return wrapper


def enqueue_after_commit(task, *args, **kwargs) -> None:
    """Enqueue a Huey task only once the surrounding transaction has committed, so a worker never
    sees a row that is not there yet (or that a rollback took away)."""
    on_commit(lambda: task(*args, **kwargs))


def _ensure_bound() -> None:
    # The consumer process never runs create_app; bind the database from the settings on first use.
    if db.obj is None:
        import config
        from webapp.db import make_database

        settings = config.load()
        db.initialize(make_database(settings.database_url, settings.db_pool_size))
