"""Helpers every task module uses."""

from __future__ import annotations

import functools
import logging
import threading

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


def with_app(fn):
    """Give the task an app context (templates, Babel, URL building) and a database connection;
    the worker builds its app once. In immediate mode the caller's context is reused."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from flask import has_app_context

        if has_app_context():
            with task_connection():
                return fn(*args, **kwargs)
        with _worker_app().app_context(), task_connection():
            return fn(*args, **kwargs)

    return wrapper


_app_lock = threading.Lock()


@functools.cache
def _build_app():
    from webapp import create_app

    return create_app()


def _worker_app():
    # Built once, under a lock: create_app binds the database, which two worker threads must
    # not do at the same time.
    with _app_lock:
        return _build_app()


def enqueue_after_commit(task, *args, **kwargs) -> None:
    """Enqueue a Huey task only once the surrounding transaction has committed, so a worker never
    sees a row that is not there yet (or that a rollback took away)."""
    on_commit(lambda: task(*args, **kwargs))


def _ensure_bound() -> None:
    # The consumer process never runs create_app otherwise: its one app, built on first use,
    # binds the database (once: rebinding under a running task would split its transaction).
    if db.obj is None:
        _worker_app()
