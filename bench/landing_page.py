"""Event page speed: the demo event's public page (with its registration form) and its .ics file,
fetched by concurrent visitors from gunicorn as the Procfile runs it; then a launch: visitors
load an event's page as browsers do (compressed, each a new visitor) while buyers register for
that event at the same time, its seats changing all along. Prints both rates, the page's p99, and
the server's CPU time per page (what the rate would be on an idle machine: the load generator
shares the CPUs).

    python -m bench.landing_page [--clients 16] [--requests 1000] [--rush-requests 6000] [--db URL ...]
"""

from __future__ import annotations

import argparse
import sys
import threading

from bench import registration
from bench.common import (
    DATABASE_PROGRAM,
    Client,
    Instance,
    LeanClient,
    Timings,
    cpu_by_program,
    cpu_split,
    cpu_used,
    run_concurrently,
    timed,
    worker_shares,
)
from bench.databases import Figures, add_database_options, run_on_each

PAGE = "/e/demo/product-summit"
LAUNCH = "/e/bench/launch"
BROWSER = {"Accept-Encoding": "gzip, deflate, br", "Accept-Language": "en-US,en;q=0.9"}


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
    parser.add_argument("--rush-requests", type=int, default=6000, help="page loads during the launch")
    parser.add_argument("--buyers", type=int, default=4, help="concurrent buyers during the launch")
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
    figures.update(launch(instance, args))
    return figures


def rush(base_url: str, clients: int, total: int) -> Timings:
    """New visitors (no cookie) loading the launch page as a browser does, over kept-alive connections."""
    per_client = max(1, total // clients)

    def work(index: int, timings: Timings) -> None:
        client = LeanClient(base_url, BROWSER)
        for _ in range(per_client):
            timed(timings, lambda: client.get(LAUNCH)[0] == 200)
        client.close()

    return run_concurrently(clients, work)


def launch(instance: Instance, args: argparse.Namespace) -> Figures:
    product_id = int(instance.python(registration.seed(10**6)))
    attempts = args.buyers * 60
    with instance.gunicorn() as base_url:
        rush(base_url, 8, 80)  # warm up
        registration.drive(base_url, product_id, 4, 4)
        alone = registration.drive(base_url, product_id, args.buyers, attempts)[0]
        print(alone.report(f"registrations alone, {args.buyers} buyers", unit="registrations"), flush=True)
        cpu, machine = instance.server_cpu(), cpu_by_program()
        page = rush(base_url, args.clients, args.rush_requests)
        cpu_per_page = (instance.server_cpu() - cpu) / max(len(page.seconds), 1) * 1000
        print(
            page.report(f"launch page alone, {args.clients} new visitors"), f"; server CPU {cpu_per_page:.2f} ms/page"
        )
        machine_after = cpu_by_program()
        print(f"gunicorn workers' shares of their CPU: {worker_shares(machine, machine_after, instance.worker_pids())}")
        machine = cpu_used(machine, machine_after, len(page.seconds))
        print(f"machine CPU per page, ms by program: {cpu_split(machine)}")
        during: list[Timings] = []
        buyers = threading.Thread(
            target=lambda: during.append(registration.drive(base_url, product_id, args.buyers, attempts)[0])
        )
        buyers.start()
        before = cpu_by_program()
        together = rush(base_url, args.clients, args.rush_requests)
        shares = worker_shares(before, cpu_by_program(), instance.worker_pids())
        buyers.join()
    print(together.report(f"launch page while buyers register, {args.clients} new visitors"))
    print(f"gunicorn workers' shares of their CPU, page and buyers: {shares}")
    print(during[0].report(f"registrations during the launch, {args.buyers} buyers", unit="registrations"), flush=True)
    rate = len(page.seconds) / page.wall
    return {
        "registrations alone/s": len(alone.seconds) / alone.wall,
        "launch page/s": rate,
        "launch page p99 ms": page.percentile(99),
        "launch page CPU ms": cpu_per_page,
        "launch page database CPU ms": machine.get(DATABASE_PROGRAM, 0.0),
        "launch page with buyers/s": len(together.seconds) / together.wall,
        "launch page with buyers p99 ms": together.percentile(99),
        "registrations during launch/s": len(during[0].seconds) / during[0].wall,
    }


if __name__ == "__main__":
    main(sys.argv[1:])
