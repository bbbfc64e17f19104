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

import config
from webapp import create_app
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
    """Runs every task inside task_scope()."""

    def execute(self, task, timestamp=None):
        with task_scope():
            return super().execute(task, timestamp)


class ScopedSqliteHuey(_Scoped, SqliteHuey):
    def create_storage(self):
        Path(self.storage_kwargs["filename"]).parent.mkdir(parents=True, exist_ok=True)
        return super().create_storage()


class ScopedRedisHuey(_Scoped, PriorityRedisHuey):
    pass


class ScopedMemoryHuey(_Scoped, MemoryHuey):
    pass


def make_huey(url: str, name: str = "rollcall"):
    parts = urlsplit(url)
    if parts.scheme == "redis":
        return ScopedRedisHuey(name, url=url)
    if parts.scheme == "memory":
        return ScopedMemoryHuey(name)
    return ScopedSqliteHuey(name, filename=unquote(url[len("sqlite:///") :]))


huey = make_huey(config.load().huey_url)
