"""The one Huey instance. Task modules import `huey` from here; `tasks.all` imports every task
module and is what the consumer runs: `huey_consumer tasks.all.huey`.

Every task runs inside `task_scope()`: an app context (templates, translations, URL building,
settings) and a database connection, given here once for all tasks, so no task can forget them.
Under the consumer the app is built once per process; in immediate mode (tests) a task reuses the
caller's context and connection and closes nothing it did not open."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import has_app_context
from huey import MemoryHuey, PriorityRedisHuey, SqliteHuey
from huey.storage import SqliteStorage

import config
from webapp import work as work_engine  # (tasks.work, the submodule, takes the name `work` here)
from webapp.app import create_app
from webapp.db import task_connection

_app_lock = threading.Lock()


@functools.cache
def _build_app():
    return create_app()


def worker_app():
    """The worker's app, built once (under a lock: two threads must not bind the database at once)."""
    with _app_lock:
        return _build_app()


@contextmanager
def task_scope() -> Iterator[None]:
    if has_app_context():
        with task_connection():
            yield
        return
    with worker_app().app_context(), task_connection():
        yield


class _Scoped:
    """Runs every task inside task_scope(), and shuts down without keeping work leased.

    The consumer (Procfile: `--graceful-signal TERM`) takes SIGTERM as a graceful stop: it sets its
    stop flag and waits up to `--shutdown-timeout` for its workers. The work engine reads that flag:
    a run finishes the item in hand, gives back what it claimed and has not started, and claims
    nothing more. Workers still busy when the timeout elapses are abandoned with the process: their
    leases are given back first, so the items run again at once elsewhere."""

    def execute(self, task, timestamp=None):
        with task_scope():
            return super().execute(task, timestamp)

    def create_consumer(self, **options):
        consumer = super().create_consumer(**options)
        work_engine.stop_with(consumer.stop_flag.is_set)
        return consumer

    def notify_interrupted_tasks(self):
        super().notify_interrupted_tasks()
        with worker_app().app_context(), task_connection():
            work_engine.release_held()


class ScopedSqliteHuey(_Scoped, SqliteHuey):
    pass


class ScopedRedisHuey(_Scoped, PriorityRedisHuey):
    pass


class ScopedMemoryHuey(_Scoped, MemoryHuey):
    pass


class _SqliteStorageOnFirstUse(SqliteStorage):
    """Huey's SQLite storage, its folder and tables created by the first enqueue or dequeue (the
    web app's or the consumer's), not when the instance is built: importing tasks writes nothing."""

    def __init__(self, *args, **kwargs):
        self._schema_ready = False
        super().__init__(*args, create_tables=False, **kwargs)

    def _create_connection(self):
        Path(self.filename).parent.mkdir(parents=True, exist_ok=True)
        conn = super()._create_connection()
        if not self._schema_ready:
            conn.execute(self.begin_sql)
            try:
                for sql in self.ddl:
                    conn.execute(sql)
            except Exception:
                conn.rollback()
                raise
            conn.commit()
            self._schema_ready = True
        return conn


def make_huey(url: str, name: str = "rollcall"):
    parts = urlsplit(url)
    if parts.scheme == "redis":
        return ScopedRedisHuey(name, url=url)
    if parts.scheme == "memory":
        return ScopedMemoryHuey(name)
    path = unquote(url[len("sqlite:///") :])
    return ScopedSqliteHuey(name, filename=path, storage_class=_SqliteStorageOnFirstUse)


huey = make_huey(config.load().huey_url)
