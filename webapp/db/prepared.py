"""Prepared statements: a query built and compiled to SQL once per database, then run with fresh
values. For the few statements a hot path (a door scan, a signed-in request) runs many times a
second: building the SQL is most of what a small peewee query costs in Python.

On PostgreSQL the server prepares them too (PREPARE once per connection, then EXECUTE), so it
parses and plans each statement once per connection instead of on every run. SQLite's driver
keeps its own cache of prepared statements per connection already.
"""

from __future__ import annotations

import itertools
import re
import weakref
from collections.abc import Callable

import peewee

from webapp.db.connection import db, is_postgres


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

    `build` may also give SQL text with its parameters, `(sql, [value or Slot, ...])`, for a
    statement peewee cannot build (a data-modifying CTE); run it with `execute`.
    """

    def __init__(self, build: Callable[[], peewee.Query | tuple[str, list]]):
        self._build = build
        self._compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._name = f"rollcall_{next(_numbers)}"  # its name on a PostgreSQL connection

    def _compile(self) -> _Compiled:
        database = db.obj
        compiled = self._compiled.get(database)
        if compiled is None:
            query = self._build()
            if isinstance(query, tuple):  # (SQL text, its parameters: values and Slots)
                sql, params = query
                query, params = None, [_SlotValue(p.name, p.converter) if isinstance(p, Slot) else p for p in params]
            else:
                _refuse_frozen_defaults(query)
                sql, params = query.sql()
            compiled = self._compiled[database] = _Compiled(query, sql, params, self._name if is_postgres() else None)
        return compiled

    def execute(self, **values):
        """Run it; returns the DB-API cursor (rowcount for updates, rows for RETURNING)."""
        return self._run(self._compile(), values)

    def rows(self, *, after: tuple[tuple[Prepared, dict], ...] = (), **values) -> list:
        """The rows it reads. `after`: statements (each with its values) to run first, in order,
        their results discarded; on PostgreSQL they all go in one round trip with this one. Each
        still takes its own snapshot, so this one sees everything committed before the last of
        `after` ended, and what they wrote: `after` may take a lock, or write rows this
        statement counts."""
        compiled = self._compile()
        cursor = self._run(compiled, values, tuple((first._compile(), first_values) for first, first_values in after))
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
    def _run(compiled: _Compiled, values: dict, before: tuple[tuple[_Compiled, dict], ...] = ()):
        if compiled.name is None:
            for statement, statement_values in before:
                db.execute_sql(statement.sql, statement.bind(statement_values))
            return db.execute_sql(compiled.sql, compiled.bind(values))
        connection = db.connection()
        prepared = _prepared_on.setdefault(connection, set())
        for statement in (*(statement for statement, _ in before), compiled):
            if statement.name not in prepared:
                # On the connection's own cursor: a PREPARE belongs to the session, not to the
                # transaction, and a BEGIN still held back goes with the statement itself.
                with peewee.__exception_wrapper__:
                    connection.cursor().execute(f"PREPARE {statement.name} AS {statement.numbered}", ())
                prepared.add(statement.name)
        if not before:
            return db.execute_sql(compiled.execute, compiled.bind(values))
        # One message, several statements: the driver gives the last one's result.
        statements = (*before, (compiled, values))
        return db.execute_sql(
            "; ".join(statement.execute for statement, _ in statements),
            [param for statement, statement_values in statements for param in statement.bind(statement_values)],
        )


_numbers = itertools.count(1)
# The statements each PostgreSQL connection has prepared (a PREPARE outlives a rollback; it ends
# with its connection).
_prepared_on: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _Compiled:
    __slots__ = ("query", "sql", "params", "layout", "name", "numbered", "execute")

    def __init__(self, query: peewee.Query, sql: str, params: list, name: str | None):
        self.query, self.sql, self.params, self.name = query, sql, params, name
        self.layout: dict | None = None  # the cursor wrapper's column mapping, after the first rows
        if name is not None:
            self.numbered = _numbered(sql)
            self.execute = f"EXECUTE {name}({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {name}"

    def bind(self, values: dict) -> list:
        """The statement's parameters: its slots filled from `values`."""
        return [p.value(values) if isinstance(p, _SlotValue) else p for p in self.params]


def _numbered(sql: str) -> str:
    """The driver's placeholders (%s) as the server's ($1, $2 ...); a literal % stays %% (the
    driver still reads the PREPARE for placeholders)."""
    numbers = itertools.count(1)
    return re.sub(r"%%|%s", lambda m: m.group() if m.group() == "%%" else f"${next(numbers)}", sql)


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
