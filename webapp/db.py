"""The database: one peewee proxy, bound at start-up from DATABASE_URL.

SQLite runs in WAL mode with a busy timeout; PostgreSQL through a connection pool. Both get
`on_commit` (side effects run only after the outermost transaction commits) and
`write_transaction()` (a transaction that serializes writers where capacity is checked).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import unquote, urlsplit

import peewee
from playhouse.pool import PooledPostgresqlDatabase

try:
    import fcntl
except ImportError:  # not on Windows: writers there fall back to SQLite's own waiting
    fcntl = None


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
    pass


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
    return PostgresqlDatabase(
        parts.path.lstrip("/"),
        host=parts.hostname,
        port=parts.port or 5432,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        max_connections=pool_size,
        stale_timeout=300,
        timeout=30,
    )


def is_postgres() -> bool:
    return isinstance(db.obj, peewee.PostgresqlDatabase)


@contextmanager
def write_transaction() -> Iterator[None]:
    """A transaction that serializes writers: on SQLite every transaction already begins
    IMMEDIATE (see make_database); on PostgreSQL lock the rows you check with `locked(query)`
    inside it. Nested inside another transaction it is a savepoint of that one."""
    with db.atomic():
        yield


_turn_lock = threading.Lock()
_turn_held = threading.local()  # this thread has the turn (after-commit callbacks run inside it)
_turn_file: tuple[int, str, int] | None = None  # (process id, database path, descriptor)


@contextmanager
def writer_turn() -> Iterator[None]:
    """Wait for SQLite's one write lock in a queue instead of in SQLite's busy handler, which
    sleeps and polls (1, 2, 5, 10 ... 100 ms): under a burst of writers most of their time goes
    to those sleeps, and a writer can lose the race for the lock again and again. Threads of a
    process queue on a lock, processes on an OS lock of a file beside the database; each starts
    the moment the one before it leaves. Wrap a hot write transaction in it (writers that do
    not still get in, through the busy handler). A no-op on PostgreSQL, inside a transaction,
    which holds the write lock already, and for a thread that has the turn already (the
    transaction's after-commit callbacks run inside its turn)."""
    database = db.obj
    if (
        fcntl is None
        or not isinstance(database, peewee.SqliteDatabase)
        or database.database == ":memory:"
        or database.in_transaction()
        or getattr(_turn_held, "yes", False)
    ):
        yield
        return
    with _turn_lock:
        descriptor = _turn_descriptor(database.database)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        _turn_held.yes = True
        try:
            yield
        finally:
            _turn_held.yes = False
            fcntl.flock(descriptor, fcntl.LOCK_UN)


def _turn_descriptor(path: str) -> int:
    """This process's descriptor of the turn file (a forked worker opens its own: a descriptor
    inherited from the parent would share the parent's lock)."""
    global _turn_file
    pid = os.getpid()
    if _turn_file is None or _turn_file[:2] != (pid, path):
        if _turn_file is not None and _turn_file[0] == pid:
            os.close(_turn_file[2])
        _turn_file = (pid, path, os.open(f"{path}-writers", os.O_RDWR | os.O_CREAT, 0o600))
    return _turn_file[2]


def locked(query: peewee.Select) -> peewee.Select:
    """SELECT ... FOR UPDATE on PostgreSQL (SQLite's BEGIN IMMEDIATE already serializes)."""
    return query.for_update() if is_postgres() else query


class Slot(peewee.Node):
    """A named value of a `Prepared` query, given each time it runs."""

    def __init__(self, name: str, converter: Callable | None = None):
        self.name, self.converter = name, converter

    def __sql__(self, ctx):
        # Inside `field == Slot(...)` the context carries the field's converter; keep it for later.
        ctx._values.append(_SlotValue(self.name, self.converter or ctx.state.converter))
        return ctx.literal(ctx.state.param or "?")


class _SlotValue:
    __slots__ = ("name", "converter")

    def __init__(self, name: str, converter: Callable | None):
        self.name, self.converter = name, converter

    def value(self, values: dict):
        value = values[self.name]
        return self.converter(value) if self.converter and value is not None else value


class Prepared:
    """A query built and compiled to SQL once per database, then run again and again with fresh
    values for its `Slot`s. Building the SQL is most of what a small peewee query costs in Python;
    a door scan runs the same few statements many times a second.

        holder = Prepared(lambda: Registrant.select().where(Registrant.ticket_secret == Slot("secret")))
        registrant = holder.first(secret=scanned)

    Rows come back as the query's own model instances (joined models attached), exactly as if the
    query had been executed. How the result columns map onto models (peewee works it out from
    the cursor for every result) is worked out once too: the SQL, and so the columns, never change.
    """

    def __init__(self, build: Callable[[], peewee.Query]):
        self._build = build
        self._compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _compile(self) -> _Compiled:
        database = db.obj
        compiled = self._compiled.get(database)
        if compiled is None:
            query = self._build()
            _refuse_frozen_defaults(query)
            sql, params = query.sql()
            compiled = self._compiled[database] = _Compiled(query, sql, params)
        return compiled

    def execute(self, **values):
        """Run it; returns the DB-API cursor (rowcount for updates, rows for RETURNING)."""
        return self._run(self._compile(), values)

    def rows(self, **values) -> list:
        compiled = self._compile()
        cursor = self._run(compiled, values)
        wrapper = compiled.query._get_cursor_wrapper(cursor)
        layout = compiled.layout
        if layout is None:
            before = set(vars(wrapper))
            wrapper.initialize()
            # Read-only from here on: shared by every later run, in every thread.
            layout = compiled.layout = {k: v for k, v in vars(wrapper).items() if k not in before}
        else:
            vars(wrapper).update(layout)
        process_row = wrapper.process_row
        rows = [process_row(row) for row in cursor.fetchall()]
        cursor.close()
        return rows

    def first(self, **values):
        rows = self.rows(**values)
        return rows[0] if rows else None

    @staticmethod
    def _run(compiled: _Compiled, values: dict):
        bound = [p.value(values) if isinstance(p, _SlotValue) else p for p in compiled.params]
        return db.execute_sql(compiled.sql, bound)


class _Compiled:
    __slots__ = ("query", "sql", "params", "layout")

    def __init__(self, query: peewee.Query, sql: str, params: list):
        self.query, self.sql, self.params = query, sql, params
        self.layout: dict | None = None  # the cursor wrapper's column mapping, after the first rows


def _refuse_frozen_defaults(query: peewee.Query) -> None:
    """An INSERT compiled once would keep the value a callable default (a timestamp) gave at
    compile time: such columns must be given as slots."""
    if not isinstance(query, peewee.ModelInsert):
        return
    given = {
        column for row in (query._insert if isinstance(query._insert, list) else [query._insert]) for column in row
    }
    frozen = [f.name for f, default in query.model._meta.defaults.items() if callable(default) and f not in given]
    if frozen:
        raise ValueError(f"Give {', '.join(frozen)} as slots: a prepared INSERT would freeze their defaults.")


def utcnow() -> dt.datetime:
    """Now, in UTC, naive: every stored datetime is UTC."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


class BaseModel(peewee.Model):
    class Meta:
        database = db
        legacy_table_names = False


class OrgScoped(BaseModel):
    """Marker base for rows that belong to an organization (`organization` field required)."""

    @classmethod
    def for_org(cls, org_id: int):
        return cls.select().where(cls.organization == org_id)

    @classmethod
    def get_for_org(cls, org_id: int, pk: int):
        """The row with this id in this organization, or DoesNotExist (shown as 404)."""
        return cls.get((cls.id == pk) & (cls.organization == org_id))


class JSONField(peewee.TextField):
    """JSON stored as text: works the same on SQLite and PostgreSQL."""

    def db_value(self, value):
        import json

        return None if value is None else json.dumps(value, separators=(",", ":"), sort_keys=True)

    def python_value(self, value):
        import json

        return None if value is None else json.loads(value)


def connect_db() -> None:
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

    from webapp import migrate

    migrate.register_cli(app)


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
