"""One benchmark, several databases: the `--db` options every server benchmark takes, a fresh
instance per database (a scratch PostgreSQL database, created and dropped around the run, with
Huey on Redis as in CI), and the figures of every run printed side by side.

    python -m bench.checkin --db sqlite --db postgresql://postgres@127.0.0.1/test [--redis redis://...]

(`python -m bench.servers` runs the door scan and registration benchmarks this way, one table for both.)

Without `--db` a benchmark runs on SQLite, and on PostgreSQL too when one answers on 127.0.0.1:5432.
A benchmark gives `run_on_each(args, run)` a function that measures one instance and returns its
figures (name -> number, in the order to print); the table compares each database with the first.

`--rounds N` runs every database N times, the order turned round each round (A B, B A, A B, ...),
each run on a fresh instance: a machine whose speed drifts within minutes (a shared virtual
machine) favours whichever database ran at its faster moment, and a ratio from one run of each
carries that drift. The table then shows each database's median, and under it each round's
ratios, taken between runs a minute apart.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import statistics
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
    parser.add_argument(
        "--rounds",
        type=_rounds,
        default=1,
        help="run each database this many times, the order turned round each round; the table shows medians",
    )


def _rounds(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 50:
        raise argparse.ArgumentTypeError(f"a whole number of rounds from 1 to 50, got {text!r}")
    return int(text)


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
    """`run` on a fresh instance of each database in turn, `args.rounds` times (`round_order`);
    prints the figures side by side and returns them (each figure's median over the rounds)."""
    named = _names(databases(args))
    rounds = args.rounds
    runs: list[dict[str, Figures]] = []
    for number in range(rounds):
        figures: dict[str, Figures] = {}
        for name, url in round_order(list(named.items()), number):
            print(f"-- {name}{f' (round {number + 1} of {rounds})' if rounds > 1 else ''} --", flush=True)
            with instance_on(url, args.redis, **extra_env) as instance:
                figures[name] = run(instance)
        runs.append({name: figures[name] for name in named})  # in the order given, whichever ran first
    results = medians(runs)
    if rounds > 1:
        print(f"\nmedians of {rounds} rounds")
    print_side_by_side(results)
    print_ratios_by_round(runs)
    return results


def _names(urls: list[str]) -> dict[str, str]:
    """name -> URL: the database's kind, with its host when two are of the same kind."""
    named: dict[str, str] = {}
    for url in urls:
        name = label(url)
        if name in named:
            name = f"{name} ({urlsplit(url).hostname or url})"
        named[name] = url
    return named


def round_order(items: list, number: int) -> list:
    """The order of round `number` (from 0): as given, then turned round, and so on."""
    return items if number % 2 == 0 else items[::-1]


def medians(runs: list[dict[str, Figures]]) -> dict[str, Figures]:
    """Each database's figures, each the median of its runs."""
    return {
        name: {metric: statistics.median(run[name][metric] for run in runs) for metric in figures}
        for name, figures in runs[0].items()
    }


def print_ratios_by_round(runs: list[dict[str, Figures]]) -> None:
    """Each figure of the second database (and any after it) against the first's, per round."""
    if len(runs) < 2 or len(runs[0]) < 2:
        return
    names = list(runs[0])
    first = names[0]
    metrics = _shared_metrics(runs[0])
    width = max(len(m) for m in metrics)
    for other in names[1:]:
        print(f"\n{other} against {first}, round by round")
        print(" " * width + "".join(f"{f'round {n}':>10}" for n in range(1, len(runs) + 1)))
        for metric in metrics:
            cells = [_ratio(run[other][metric], run[first][metric]) for run in runs]
            print(f"{metric:<{width}}" + "".join(f"{cell:>10}" for cell in cells))


def _shared_metrics(results: dict[str, Figures]) -> list[str]:
    """The figures every database has, in the first one's order."""
    first = next(iter(results.values()))
    return [m for m in first if all(m in figures for figures in results.values())]


def _ratio(value: float, base: float) -> str:
    """`value` against `base`, or "-" when `base` shows as 0.00 (SQLite's few µs of a database
    program's CPU made "601.00x")."""
    return f"{value / base:.2f}x" if round(base, 2) else "-"


def print_side_by_side(results: dict[str, Figures]) -> None:
    if len(results) < 2:
        return
    names = list(results)
    metrics = _shared_metrics(results)
    width = max(len(m) for m in metrics) if metrics else 10
    print("\n" + " " * width + "".join(f"{name:>16}" for name in names) + "".join(f"{'x ' + n:>18}" for n in names[1:]))
    for metric in metrics:
        values = [results[name][metric] for name in names]
        ratios = [_ratio(v, values[0]) for v in values[1:]]
        shown = [f"{v:>16.2f}" if abs(v) < 10 else f"{v:>16.1f}" for v in values]  # CPU ms: two places
        print(f"{metric:<{width}}" + "".join(shown) + "".join(f"{r:>18}" for r in ratios))


def _answers(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), 1):
        return True
    return False
