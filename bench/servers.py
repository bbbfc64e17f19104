"""The two write paths of an event day side by side on each database: door scans (bench/checkin.py)
and registrations (bench/registration.py), each through gunicorn as the Procfile runs it, on a
fresh SQLite instance and on a scratch PostgreSQL database with Huey on Redis (bench/databases.py).

    python -m bench.servers [--db sqlite --db postgresql://postgres@127.0.0.1:5432/test] [--redis URL]
                            [--tickets 3000] [--gates 16] [--clients 16] [--attempts 1500] [--quota 1200]

Prints each run as it goes, then one table: every figure per database and its ratio to the first,
with the machine's load average (1 minute) when each run started. The machine may be shared:
the server's CPU per scan is the figure that load disturbs least.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from bench import checkin, registration
from bench.common import Instance
from bench.databases import Figures, add_database_options, print_side_by_side, run_on_each


def load_average() -> float:
    """The 1-minute load average (Linux; 0 elsewhere)."""
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except OSError:
        return 0.0


def with_load(measure: Callable[[Instance], Figures]) -> Callable[[Instance], Figures]:
    def run(instance: Instance) -> Figures:
        load = load_average()
        return {**measure(instance), "load at start": load}

    return run


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The options, and what the door and registration benches read that this one fixes."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=3000, help="tickets sold before the doors open")
    parser.add_argument("--gates", type=int, default=16, help="concurrent scanning clients (an even number)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent buyers")
    parser.add_argument("--attempts", type=int, default=1500, help="registration attempts in all")
    parser.add_argument("--quota", type=int, default=1200, help="seats of the ticket type on sale")
    add_database_options(parser)
    args = parser.parse_args(argv if argv is not None else [])
    args.workers = args.threads = None  # gunicorn as the Procfile runs it
    args.buyers = 0  # the door alone (bench.checkin --buyers: the door while the desk sells)
    args.worker = False  # no task worker: the web server's share alone
    args.coupon, args.per_email_limit = False, None  # bench.registration's plain registration
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    print("== door scans ==", flush=True)
    scans = run_on_each(args, with_load(lambda instance: checkin.measure(instance, args)))
    print("\n== registrations ==", flush=True)
    registrations = run_on_each(args, with_load(lambda instance: registration.measure(instance, args)))

    print("\n== both, side by side ==")
    combined = {
        name: {
            **{f"scan: {metric}": value for metric, value in scans[name].items()},
            **{f"registration: {metric}": value for metric, value in registrations.get(name, {}).items()},
        }
        for name in scans
    }
    if len(combined) > 1:
        print_side_by_side(combined)
    else:
        for name, figures in combined.items():
            print(name)
            for metric, value in figures.items():
                print(f"  {metric:<36}{value:>12.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
