"""`flask backup <path>`: an online copy of a SQLite database, safe while the app serves.

SQLite's backup API copies the database into a new file. Copied in steps, it starts over whenever
another connection writes, so under steady traffic it would never finish; copied in one step it is
one read transaction, which in WAL mode (ours) never blocks writers: requests keep writing while
it runs, and the copy is the one consistent state the transaction saw, never half a transaction.
The copy is written beside the target, checked (`PRAGMA quick_check`) and only then
renamed into place: a backup file that exists is a complete one.

PostgreSQL is backed up with its own tools (pg_dump; README, "Deployment"): the command says so.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path
from urllib.parse import unquote

import click

from webapp.runtime import settings

PG_ROUTINE = """PostgreSQL is backed up with pg_dump, not with this command:

  pg_dump --format=custom --no-owner --file=rollcall-$(date +%Y%m%d-%H%M%S).dump "$DATABASE_URL"

Restore into an empty database with:

  pg_restore --no-owner --dbname="$DATABASE_URL" rollcall-YYYYMMDD-HHMMSS.dump

(README, "Deployment": backups)."""


class BackupError(RuntimeError):
    """The backup could not be made; the message says why."""


def sqlite_path(database_url: str) -> Path | None:
    if not database_url.startswith("sqlite:///"):
        return None
    return Path(unquote(database_url[len("sqlite:///") :]))


def target_for(path: Path, now: dt.datetime | None = None) -> Path:
    """A folder gets a dated file inside it; a file name is used as given."""
    if path.is_dir():
        return path / f"rollcall-{(now or dt.datetime.now(dt.UTC)):%Y%m%d-%H%M%S}.db"
    return path


def backup_sqlite(source: Path, target: Path, *, overwrite: bool = False, progress=None) -> int:
    """Copy the live database `source` into `target`; returns the number of pages copied."""
    if not source.is_file():
        raise BackupError(f"there is no database at {source}")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists already (use --force to replace it)")
    if target.resolve() == source.resolve():
        raise BackupError("the backup cannot replace the database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst, pages=-1, progress=progress)  # one step: one snapshot (see above)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            verdict = dst.execute("PRAGMA quick_check").fetchone()[0]
            pages = dst.execute("PRAGMA page_count").fetchone()[0]
        finally:
            dst.close()
    finally:
        src.close()
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed its check: {verdict}")
    os.replace(partial, target)
    return pages


def register_cli(app) -> None:
    @app.cli.command("backup")
    @click.argument("path", type=click.Path(path_type=Path))
    @click.option("--force", is_flag=True, help="Replace the file if it exists.")
    def backup_command(path: Path, force: bool):
        """Copy the SQLite database to PATH (a file, or a folder for a dated file), online."""
        source = sqlite_path(settings().database_url)
        if source is None:
            raise click.ClickException(PG_ROUTINE)
        target = target_for(path)
        try:
            pages = backup_sqlite(source, target, overwrite=force)
        except (BackupError, sqlite3.Error, OSError) as exc:
            raise click.ClickException(f"backup failed: {exc}") from None
        click.echo(f"backed up {source} to {target} ({pages} pages, checked)")
