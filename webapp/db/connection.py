"""The database and its connection lifecycle: one peewee proxy, bound at start-up from
DATABASE_URL.

SQLite runs in WAL mode with a busy timeout; PostgreSQL through a connection pool. A request
connects before it runs and gives its connection back when it ends; a Huey task opens one only
when none is open. `on_commit` holds side effects until the outermost transaction commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, unquote, urlsplit

import peewee
from flask import current_app, request
from playhouse.pool import PooledPostgresqlDatabase
from psycopg2.extensions import TRANSACTION_STATUS_IDLE, TRANSACTION_STATUS_UNKNOWN


class _Savepoint(peewee._savepoint):
    """A savepoint that forgets the after-commit callbacks registered inside it when it rolls back
    (peewee keeps them otherwise, and would run them when the outer transaction commits)."""

    def __enter__(self):
        self._mark = len(self.db._state.commit_callbacks)
        return super().__enter__()

    def rollback(self, begin=True):
        super().rollback(begin)
        del self.db._state.commit_callbacks[self._mark :]


class _SavepointMixin:
    def savepoint(self):
        return _Savepoint(self)


class _DatabaseProxy(_SavepointMixin, peewee.DatabaseProxy):
    pass


db = _DatabaseProxy()


class SqliteDatabase(_SavepointMixin, peewee.SqliteDatabase):
    pass


class PostgresqlDatabase(_SavepointMixin, PooledPostgresqlDatabase):
    """PostgreSQL through peewee's pool, with a round trip fewer per connection checkout and one
    fewer per transaction than peewee's own: no `SELECT 1` when a connection leaves the pool, and
    a transaction's BEGIN sent in one message with its first statement."""

    def begin(self, isolation_level=None):
        """Hold BEGIN back until the transaction's first statement, and send them in one message:
        the server runs both, in order, and answers once. A transaction that sends nothing sends
        no BEGIN and no COMMIT either."""
        if self.is_closed():
            self.connect()
        level = isolation_level or self._isolation_level
        self._state.begin = (
            f"BEGIN TRANSACTION ISOLATION LEVEL {self._adapter.isolation_level_str(level)}" if level else "BEGIN"
        )

    def _take_begin(self) -> str | None:
        begin = getattr(self._state, "begin", None)
        self._state.begin = None
        return begin

    def _execute_cursor(self, sql, params, **cursor_options):
        begin = self._take_begin()
        if begin is None:
            return super()._execute_cursor(sql, params, **cursor_options)
        if cursor_options.get("named_cursor"):  # a server-side cursor DECLAREs its statement
            super()._execute_cursor(begin, None)
            return super()._execute_cursor(sql, params, **cursor_options)
        try:
            return super()._execute_cursor(f"{begin}; {sql}", params, **cursor_options)
        except Exception:
            if self._state.conn.get_transaction_status() == TRANSACTION_STATUS_IDLE:
                # Nothing ran (refused before it was sent, or the whole message did not parse):
                # the transaction is still to begin, with the next statement.
                self._state.begin = begin
            raise

    def cursor(self, named_cursor=None):
        """A cursor for code that runs its own statements on it (executemany, COPY): a held-back
        BEGIN is sent first, on its own."""
        cursor = super().cursor(named_cursor)
        begin = self._take_begin()
        if begin is not None:
            cursor.execute(begin)
        return cursor

    def commit(self):
        if self._take_begin() is None:  # else nothing was sent: there is nothing to commit
            super().commit()

    def rollback(self):
        if self._take_begin() is None:
            super().rollback()

    def close(self):
        self._state.begin = None
        return super().close()

    def _is_closed(self, conn) -> bool:
        """Whether a pooled connection is unusable, from what the driver knows without asking the
        server (peewee's own check sends `SELECT 1`: a round trip on every request). A connection
        the server dropped meanwhile fails its next statement instead; `stale_timeout` retires
        connections before a server's idle timeout would."""
        if conn.closed:
            return True
        status = conn.get_transaction_status()
        if status == TRANSACTION_STATUS_UNKNOWN:
            return True
        if status != TRANSACTION_STATUS_IDLE:
            try:
                conn.cursor().execute("ROLLBACK")
            except Exception:
                return True
        return False


def on_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the outermost transaction commits (never after a rollback); at once
    when there is no transaction."""
    db.after_commit(callback)


def on_commit_once(callback: Callable[[], None]) -> None:
    """`on_commit`, unless this very callback already waits for the same commit."""
    if db.transaction_depth() and callback in db._state.commit_callbacks:
        return
    db.after_commit(callback)


def make_database(url: str, pool_size: int = 8) -> peewee.Database:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(url[len("sqlite:///") :]) or ":memory:"
        return SqliteDatabase(
            path,
            # Every transaction takes the write lock when it begins: a deferred transaction that
            # reads and then writes can meet another writer half-way and fail at once with
            # "database is locked" (SQLite cannot wait there); an immediate one waits its turn.
            lock_type="IMMEDIATE",
            timeout=15,
            pragmas={
                "journal_mode": "wal",
                "busy_timeout": 15000,
                "foreign_keys": 1,
                "synchronous": "normal",
                "cache_size": -32000,
            },
        )
    # `?host=/var/run/postgresql`, as libpq reads it: a server on this machine over its Unix socket
    # (the way a one-machine install usually reaches it, with peer authentication and no password).
    host = parse_qs(parts.query).get("host", [parts.hostname])[-1]
    return PostgresqlDatabase(
        parts.path.lstrip("/"),
        host=host,
        port=parts.port or 5432,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        max_connections=pool_size,
        stale_timeout=300,
        timeout=30,
        # No JIT compilation: it pays off for long analytic queries only. A segment count over
        # 100,000 contacts is estimated costly enough to trigger it and spent 2.5 s compiling
        # for a query that runs in a fraction of that.
        options="-c jit=off",
    )


def is_postgres() -> bool:
    return isinstance(db.obj, peewee.PostgresqlDatabase)


def without_database(view):
    """Mark a view that must answer without the request's connection (a liveness probe, or one
    that opens its own and reports when it cannot)."""
    view.without_database = True
    return view


def connect_db() -> None:
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if getattr(view, "without_database", False):
        return
    db.connect(reuse_if_open=True)


def close_db(exc: BaseException | None = None) -> None:
    """End of a request: PostgreSQL connections go back to the pool. A SQLite connection stays
    open for the thread's next request (opening one, with its pragmas, costs more than most
    requests' queries); a transaction left open by an error is rolled back first."""
    if db.is_closed():
        return
    if is_postgres():
        db.close()
    elif db.connection().in_transaction:
        db.connection().rollback()


def init_app(app) -> None:
    settings = app.config["SETTINGS"]
    database = make_database(settings.database_url, settings.db_pool_size)
    db.initialize(database)
    app.before_request(connect_db)
    app.teardown_request(close_db)


@contextmanager
def task_connection() -> Iterator[None]:
    """For Huey tasks: open a connection if none is open, close only what we opened (in immediate
    mode a task runs inside a request and must not close the request's connection)."""
    opened = db.connect(reuse_if_open=True)
    try:
        yield
    finally:
        if opened and not db.in_transaction():
            db.close()
