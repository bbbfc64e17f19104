"""One benchmark, several databases: the `--db` options every server benchmark takes, a fresh
instance per database (a scratch PostgreSQL database, created and dropped around the run, with
Huey on Redis as in CI), and the figures of every run printed side by side.

    python -m bench.checkin --db sqlite --db postgresql://postgres@127.0.0.1/test [--redis redis://...]

(`python -m bench.servers` runs the door scan and registration benchmarks this way, one table for both.)

Without `--db` a benchmark runs on SQLite, and on PostgreSQL too when one answers on 127.0.0.1:5432.
A benchmark gives `run_on_each(args, run)` a function that measures one instance and returns its
figures (name -> number, in the order to print); the table compares each database with the first.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

from bench.common import Instance
from webapp.db.scratch import scratch_database

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"

Figures = dict[str, float]


def add_database_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        action="append",
        dest="dbs",
        metavar="URL",
        help="sqlite, or a postgresql:// URL (a scratch database is made beside the one named); repeat to compare",
    )
    parser.add_argument("--redis", default=DEFAULT_REDIS, help="Huey's queue for the PostgreSQL runs")


def databases(args: argparse.Namespace) -> list[str]:
    if args.dbs:
        return args.dbs
    return ["sqlite", DEFAULT_POSTGRES] if _answers("127.0.0.1", 5432) else ["sqlite"]


def label(url: str) -> str:
    return "PostgreSQL" if url.startswith(("postgres://", "postgresql://")) else "SQLite"


@contextlib.contextmanager
def instance_on(url: str, redis_url: str = DEFAULT_REDIS, **extra_env) -> Iterator[Instance]:
    """A fresh, migrated instance on this database: SQLite (and Huey's SQLite queue) in the
    instance folder, or a scratch PostgreSQL database with Huey on Redis."""
    if label(url) == "SQLite":
        with Instance.create(**extra_env) as instance:
            yield instance
        return
    with scratch_postgres(url) as database_url:
        with Instance.create(DATABASE_URL=database_url, HUEY_URL=redis_url, **extra_env) as instance:
            yield instance


@contextlib.contextmanager
def scratch_postgres(url: str) -> Iterator[str]:
    """A new, empty database on the server `url` names, dropped afterwards; yields its URL."""
    with scratch_database(url, f"rollcall_bench_{uuid.uuid4().hex[:10]}") as database_url:
        yield database_url


def run_on_each(args: argparse.Namespace, run: Callable[[Instance], Figures], **extra_env) -> dict[str, Figures]:
    """`run` on a fresh instance of each database in turn; prints the figures side by side."""
    results: dict[str, Figures] = {}
    for url in databases(args):
        name = label(url)
        if name in results:
            name = f"{name} ({urlsplit(url).hostname or url})"
        print(f"-- {name} --", flush=True)
        with instance_on(url, args.redis, **extra_env) as instance:
            results[name] = run(instance)
    print_side_by_side(results)
    return results


def print_side_by_side(results: dict[str, Figures]) -> None:
    if len(results) < 2:
        return
    names = list(results)
    metrics = [m for m in results[names[0]] if all(m in figures for figures in results.values())]
    width = max(len(m) for m in metrics) if metrics else 10
    print("\n" + " " * width + "".join(f"{name:>16}" for name in names) + "".join(f"{'x ' + n:>18}" for n in names[1:]))
    for metric in metrics:
        values = [results[name][metric] for name in names]
        ratios = [f"{v / values[0]:.2f}x" if values[0] else "-" for v in values[1:]]
        shown = [f"{v:>16.2f}" if abs(v) < 10 else f"{v:>16.1f}" for v in values]  # CPU ms: two places
        print(f"{metric:<{width}}" + "".join(shown) + "".join(f"{r:>18}" for r in ratios))


def _answers(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), 1):
        return True
    return False
