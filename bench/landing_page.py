"""Event page speed: the demo event's public page (with its registration form) and its .ics file,
fetched by concurrent visitors from gunicorn as the Procfile runs it.

    python -m bench.landing_page [--clients 16] [--requests 1000] [--db URL ...]
"""

from __future__ import annotations

import argparse
import sys

from bench.common import Client, Instance, Timings, run_concurrently, timed
from bench.servers import Figures, add_database_options, run_on_each

PAGE = "/e/demo/product-summit"


def fetch(base_url: str, path: str, clients: int, total: int) -> Timings:
    per_client = max(1, total // clients)

    def work(index: int, timings: Timings) -> None:
        client = Client(base_url)
        for _ in range(per_client):
            timed(timings, lambda: client.request("GET", path)[0] == 200)

    return run_concurrently(clients, work)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=1000)
    add_database_options(parser)
    args = parser.parse_args(argv if argv is not None else [])
    run_on_each(args, lambda instance: measure(instance, args))


def measure(instance: Instance, args: argparse.Namespace) -> Figures:
    """Each measurement on this instance: its report line printed, its rate returned."""
    figures: Figures = {}
    instance.flask("demo")
    with instance.gunicorn() as base_url:
        fetch(base_url, PAGE, 8, 10)  # warm up the workers
        for name, path, total in (
            ("event page/s", PAGE, args.requests),
            ("event page in Indonesian/s", PAGE + "?lang=id", args.requests // 2),
            ("calendar file/s", PAGE + "/calendar.ics", args.requests // 2),
        ):
            timings = fetch(base_url, path, args.clients, total)
            print(timings.report(f"{name.removesuffix('/s')}, {args.clients} clients"), flush=True)
            figures[name] = len(timings.seconds) / timings.wall
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
