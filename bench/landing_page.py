"""Event page speed: the demo event's public page (with its registration form) and its .ics file,
fetched by concurrent visitors from gunicorn as the Procfile runs it.

    python -m bench.landing_page [--clients 16] [--requests 1000]
"""

from __future__ import annotations

import argparse
import sys

from bench.common import Client, Instance, Timings, run_concurrently, timed

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
    args = parser.parse_args(argv if argv is not None else [])
    with Instance.create() as instance:
        instance.flask("demo")
        with instance.gunicorn() as base_url:
            fetch(base_url, PAGE, 8, 10)  # warm up the workers
            print(fetch(base_url, PAGE, args.clients, args.requests).report(f"event page, {args.clients} clients"))
            print(
                fetch(base_url, PAGE + "?lang=id", args.clients, args.requests // 2).report("event page in Indonesian")
            )
            print(fetch(base_url, PAGE + "/calendar.ics", args.clients, args.requests // 2).report("calendar file"))


if __name__ == "__main__":
    main(sys.argv[1:])
