"""Widget speed: the demo event's registration form as the website widget serves it (rendered for
each visitor: it is never cached, each copy holds its signed token), beside the event page (served
from the page cache), from gunicorn as the Procfile runs it.

    python -m bench.widgets [--clients 8] [--requests 600] [--db URL ...]
"""

from __future__ import annotations

import argparse
import sys

from bench.common import Instance
from bench.landing_page import PAGE, fetch
from bench.servers import Figures, add_database_options, run_on_each

WIDGET = "/widget/demo/product-summit/register"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=600)
    add_database_options(parser)
    args = parser.parse_args(argv if argv is not None else [])
    run_on_each(args, lambda instance: measure(instance, args))


def measure(instance: Instance, args: argparse.Namespace) -> Figures:
    figures: Figures = {}
    instance.flask("demo")
    with instance.gunicorn() as base_url:
        fetch(base_url, WIDGET, 4, 8)  # warm up the workers
        for name, path in (("widget form/s", WIDGET), ("event page/s", PAGE)):
            timings = fetch(base_url, path, args.clients, args.requests)
            print(timings.report(f"{name.removesuffix('/s')}, {args.clients} clients"), flush=True)
            figures[name] = len(timings.seconds) / timings.wall
            figures[name.removesuffix("/s") + " p99 ms"] = timings.percentile(99)
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
