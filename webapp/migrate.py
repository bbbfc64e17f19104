"""Versioned schema migrations.

Each file `migrations/NNNN_name.py` defines `upgrade(db, migrator)`. Migrations declare the
tables they create as frozen models (fields as they were at that version), never by importing the
live models, so an old migration keeps meaning the same thing when the models move on. Applied
migrations are recorded in `schema_migration`; `flask --app wsgi db upgrade` applies the rest in
name order, each in its own transaction.
"""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path

import click
import peewee
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator

from webapp.db import db
from webapp.models import all_models

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def frozen(database: peewee.Database) -> type[peewee.Model]:
    """A base class for the frozen models a migration declares."""

    class Frozen(peewee.Model):
        class Meta:
            legacy_table_names = False

    Frozen._meta.set_database(database)
    return Frozen


def _migration_files() -> list[Path]:
    return sorted(p for p in MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.py"))


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"migrations.{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ledger(database: peewee.Database) -> type[peewee.Model]:
    class SchemaMigration(frozen(database)):
        name = peewee.CharField(primary_key=True)
        applied_at = peewee.DateTimeField(constraints=[peewee.SQL("DEFAULT CURRENT_TIMESTAMP")])

    return SchemaMigration


def pending(database: peewee.Database) -> list[Path]:
    ledger = _ledger(database)
    if not database.table_exists(ledger._meta.table_name):
        return _migration_files()
    done = {row.name for row in ledger.select(ledger.name)}
    return [p for p in _migration_files() if p.stem not in done]


def upgrade(database: peewee.Database, echo=lambda msg: None) -> list[str]:
    """Apply every pending migration; returns their names."""
    ledger = _ledger(database)
    database.create_tables([ledger], safe=True)
    migrator_cls = PostgresqlMigrator if isinstance(database, peewee.PostgresqlDatabase) else SqliteMigrator
    applied = []
    for path in pending(database):
        module = _load(path)
        with database.atomic():
            module.upgrade(database, migrator_cls(database))
            ledger.create(name=path.stem)
        echo(f"applied {path.stem}")
        applied.append(path.stem)
    return applied


def register_cli(app) -> None:
    group = click.Group("db", help="Database schema.")

    @group.command("upgrade")
    def upgrade_command():
        """Apply pending migrations."""
        with db.connection_context():
            names = upgrade(db.obj, echo=click.echo)
        click.echo(f"database up to date ({len(names)} migration(s) applied)")

    @group.command("status")
    def status_command():
        """List pending migrations."""
        with db.connection_context():
            names = [p.stem for p in pending(db.obj)]
        click.echo("\n".join(names) if names else "no pending migrations")

    register_make_command(group)
    app.cli.add_command(group)


def run_sql(database: peewee.Database, statements: dict[str, list[str]]) -> None:
    """Run the statements written for this database's dialect."""
    dialect = "postgresql" if isinstance(database, peewee.PostgresqlDatabase) else "sqlite"
    for statement in statements[dialect]:
        database.execute_sql(statement)


def _sql(ctx) -> str:
    sql, params = ctx.query()
    if params:
        raise click.ClickException(f"cannot freeze a statement with parameters: {sql} {params}")
    return sql


def schema_changes(scratch: peewee.Database, models) -> dict[str, list[str]]:
    """The SQL, per dialect, that brings a database migrated like `scratch` to `models`."""
    dialects = {"sqlite": peewee.SqliteDatabase(None), "postgresql": peewee.PostgresqlDatabase(None)}
    out: dict[str, list[str]] = {name: [] for name in dialects}
    for model in models:
        table = model._meta.table_name
        exists = scratch.table_exists(table)
        have_columns = {c.name for c in scratch.get_columns(table)} if exists else set()
        have_indexes = {i.name for i in scratch.get_indexes(table)} if exists else set()
        for name, dialect in dialects.items():
            with dialect.bind_ctx([model], bind_refs=False, bind_backrefs=False):
                schema = model._schema
                if not exists:
                    out[name].append(_sql(schema._create_table(safe=False)))
                else:
                    for field in model._meta.sorted_fields:
                        if field.column_name in have_columns:
                            continue
                        if not field.null and field.default is None and not field.constraints:
                            raise click.ClickException(
                                f"{table}.{field.column_name}: a new NOT NULL column needs a "
                                "default (constraints=[SQL('DEFAULT ...')]) or null=True"
                            )
                        ctx = dialect.get_sql_context()
                        column = ctx.sql(field.ddl(ctx)).query()[0]
                        out[name].append(f'ALTER TABLE "{table}" ADD COLUMN {column}')
                for index_ctx in schema._create_indexes(safe=False):
                    sql = _sql(index_ctx)
                    index_name = sql.split('"')[1]
                    if index_name not in have_indexes:
                        out[name].append(sql)
    return out


def register_make_command(group) -> None:
    @group.command("makemigration")
    @click.argument("name")
    @click.option("--number", type=int, required=True, help="The migration number (4 digits).")
    @click.option(
        "--only",
        multiple=True,
        help="Limit to these model modules (e.g. webapp.orders.models) or model names; repeatable.",
    )
    def make_command(name, number, only):
        """Write migrations/NNNN_NAME.py with the SQL (SQLite and PostgreSQL) that brings the
        migrated schema up to the current models: new tables, columns and indexes."""

        with tempfile.TemporaryDirectory() as tmp:
            scratch = peewee.SqliteDatabase(f"{tmp}/scratch.db")
            with scratch.connection_context():
                upgrade(scratch)
                models = [m for m in all_models() if not only or m.__module__ in only or m.__name__ in only]
                changes = schema_changes(scratch, models)
        if not changes["sqlite"]:
            raise click.ClickException("the models match the migrations: nothing to write")
        path = MIGRATIONS_DIR / f"{number:04d}_{name}.py"
        if path.exists() or list(MIGRATIONS_DIR.glob(f"{number:04d}_*.py")):
            raise click.ClickException(f"migration number {number:04d} is taken")
        lines = [f'"""{name.replace("_", " ").capitalize()}."""', "", "from webapp.migrate import run_sql", ""]
        lines.append("SQL = {")
        for dialect, statements in changes.items():
            lines.append(f'    "{dialect}": [')
            lines += [f"        {stmt!r}," for stmt in statements]
            lines.append("    ],")
        lines += ["}", "", "", "def upgrade(db, migrator):", "    run_sql(db, SQL)", ""]
        path.write_text("\n".join(lines))
        click.echo(f"wrote {path.relative_to(MIGRATIONS_DIR.parent)}")
