"""Registration throughput: concurrent buyers post the registration form (CSRF and all) to
gunicorn on SQLite until a ticket type sells out, and the seats sold are counted afterwards.

Prints completed registrations per second, p50/p99 latency of a registration, and the number of
oversold seats (registrants in paid or pending orders beyond the quota: must be 0).

A registration is complete when its POST answers 303 (the order is committed; the browser then
opens the order page, which is not part of the registration). The rate counts the registrations
over the time they took: from the start until the last one completed. Posts after the sell-out,
answered "Sold out", are reported on their own line.

With `--coupon`, the seat has a price and every buyer enters a code that takes all of it off
(a launch's "first N free" code, limited to as many uses as there are seats): each registration
then also counts a use of the code against its limit. With `--per-email-limit N` the event
allows N registrations per email address (each buyer's address is new, so none is refused: the
figure is what counting the addresses costs).

    python -m bench.registration [--clients 16] [--attempts 1500] [--quota 1200] [--coupon] [--per-email-limit N] [--worker] [--db URL ...]
"""

from __future__ import annotations

import argparse
import re
import secrets
import sys
import threading
import time

from bench.common import (
    DATABASE_PROGRAM,
    Client,
    Instance,
    Timings,
    cpu_by_program,
    cpu_split,
    cpu_used,
    run_concurrently,
    worker_shares,
)
from bench.databases import Figures, add_database_options, run_on_each

SEED = """
import datetime as dt
from webapp.accounts import service as accounts
from webapp.catalog import groups as catalog_groups
from webapp.catalog.models import Coupon, Product
from webapp.db import utcnow
from webapp.events.models import Event
user = accounts.create_user("bench@example.org", "Bench", "bench-password-123")
org = accounts.create_organization("Bench Org", user, slug="bench")
start = utcnow() + dt.timedelta(days=30)
event = Event.create(organization=org, slug="launch", name="Launch", starts_at=start,
                     ends_at=start + dt.timedelta(hours=6), status="published", currency="IDR",
                     max_tickets_per_order=10, max_registrations_per_email={per_email})
catalog_groups.create_default_group(event)  # as every event gets it when made (events.service)
seat = Product.create(organization=org, event=event, name="Seat", price={price}, currency="IDR", quota={quota})
if {price}:
    Coupon.create(organization=org, event=event, code={code!r}, kind="percent", value=100, usage_limit={quota})
print(seat.id)
"""
COUPON = "LAUNCH"
COUPON_SEAT_PRICE = 150000


def seed(quota: int, *, coupon: bool = False, per_email_limit: int | None = None) -> str:
    """The code that makes the bench's event (`SEED`) and prints its seat's id: free seats, or
    with `coupon` priced ones and a code making them free; `per_email_limit` on the event."""
    price = COUPON_SEAT_PRICE if coupon else 0
    return SEED.format(quota=quota, price=price, code=COUPON, per_email=per_email_limit)


COUNT = """
from webapp.orders.models import Order, Registrant
print(Registrant.select().join(Order).where(Order.status.in_(("paid", "pending"))).count())
"""

PATH = "/e/bench/launch/register"


def _token(html: bytes) -> str:
    match = re.search(rb'name="csrf_token" value="([^"]+)"', html)
    if not match:
        raise RuntimeError("no CSRF token on the registration page")
    return match.group(1).decode()


def drive(
    base_url: str,
    product_id: int,
    clients: int,
    attempts: int,
    *,
    path: str = PATH,
    until: threading.Event | None = None,
    coupon: str = "",
) -> tuple[Timings, Timings, dict[str, int]]:
    """(registrations, with the time until the last one completed as their wall time; the
    answers refused as sold out; counts of each outcome). `path`: the event's registration form;
    `until`: each buyer stops early once it is set; `coupon`: the code every buyer enters."""
    per_client = max(1, attempts // clients)
    outcomes = {"registered": 0, "sold_out": 0, "other": 0}
    refused = Timings()
    last_registered = [0.0]
    lock = threading.Lock()

    def work(index: int, timings: Timings) -> None:
        client = Client(base_url)
        status, body, response = client.request("GET", path)
        client.headers["Cookie"] = response.getheader("Set-Cookie", "").split(";")[0]
        csrf = _token(body)
        for n in range(per_client):
            if until is not None and until.is_set():
                break
            form = {
                "csrf_token": csrf,
                "checkout_token": secrets.token_urlsafe(24),
                f"qty-{product_id}": "1",
                "buyer_name": f"Buyer {index}-{n}",
                "buyer_email": f"buyer{index}-{n}@example.org",
            }
            if coupon:
                form["coupon"] = coupon
            start = time.perf_counter()
            status, body, _ = client.request("POST", path, form=form)
            end = time.perf_counter()
            kind = "registered" if status == 303 else "sold_out" if status == 422 and b"Sold out" in body else "other"
            with lock:
                outcomes[kind] += 1
                if kind == "registered":
                    last_registered[0] = max(last_registered[0], end)
                elif kind == "sold_out":
                    refused.seconds.append(end - start)
            if kind == "registered":
                timings.seconds.append(end - start)
            elif kind == "other":
                timings.errors += 1

    started = time.perf_counter()
    timings = run_concurrently(clients, work)
    refused.wall = timings.wall
    if last_registered[0]:
        timings.wall = last_registered[0] - started
    return timings, refused, outcomes


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    extra = {"HUEY_URL": args.huey_url} if args.huey_url else {}
    run_on_each(args, lambda instance: measure(instance, args), **extra)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--attempts", type=int, default=1500)
    parser.add_argument("--quota", type=int, default=1200)
    parser.add_argument("--coupon", action="store_true", help="every buyer enters a code that makes the seat free")
    parser.add_argument(
        "--per-email-limit",
        type=int,
        default=None,
        help="the event's registrations per email address (buyers never reach it)",
    )
    parser.add_argument("--worker", action="store_true", help="also run the task worker (emails, contact sync)")
    parser.add_argument("--huey-url", default="", help="SQLite run's task queue (default: SQLite in the instance)")
    add_database_options(parser)
    return parser.parse_args(argv if argv is not None else [])


def measure(instance: Instance, args: argparse.Namespace) -> Figures:
    product_id = int(instance.python(seed(args.quota, coupon=args.coupon, per_email_limit=args.per_email_limit)))
    code = COUPON if args.coupon else ""
    with instance.gunicorn() as base_url:
        drive(base_url, product_id, 8, 8, coupon=code)  # warm up the workers: 8 connections, one seat each
        cpu_before, machine_before = instance.server_cpu(), cpu_by_program()
        if args.worker:
            with instance.worker():
                timings, refused, outcomes = drive(base_url, product_id, args.clients, args.attempts, coupon=code)
        else:
            timings, refused, outcomes = drive(base_url, product_id, args.clients, args.attempts, coupon=code)
        # Every answer counts (the sold-out ones too): what the server spent per form posted.
        posted = max(sum(outcomes.values()), 1)
        server_cpu = (instance.server_cpu() - cpu_before) / posted * 1000
        machine_after = cpu_by_program()
        machine = cpu_used(machine_before, machine_after, posted)
        shares = worker_shares(machine_before, machine_after, instance.worker_pids())
    taken = int(instance.python(COUNT).strip())
    with_code = ", each with a code" if args.coupon else ""
    if args.per_email_limit is not None:
        with_code += f", {args.per_email_limit} per email address"
    print(
        timings.report(
            f"registration, {args.clients} clients, quota {args.quota}{with_code}", unit="registrations until the last"
        )
    )
    print(f"outcomes: {outcomes['registered']} registered, {outcomes['sold_out']} refused as sold out, "
          f"{outcomes['other']} other answers; whole run {refused.wall:.2f} s")  # fmt: skip
    if refused.seconds:
        print(f"sold-out answers: p50 {refused.percentile(50):.1f} ms, p99 {refused.percentile(99):.1f} ms")
    print(f"server CPU per form posted: {server_cpu:.2f} ms")
    print(f"machine CPU per form posted, ms by program: {cpu_split(machine)}")
    print(f"gunicorn workers' shares of their CPU: {shares}")
    print(f"seats taken {taken} of {args.quota}; oversold seats: {max(taken - args.quota, 0)}", flush=True)
    return {
        "registrations/s": len(timings.seconds) / timings.wall if timings.wall else float("nan"),
        "p50 ms": timings.percentile(50),
        "p99 ms": timings.percentile(99),
        "server CPU ms/post": server_cpu,
        "database CPU ms/post": machine.get(DATABASE_PROGRAM, 0.0),
        "oversold seats": max(taken - args.quota, 0),
    }


if __name__ == "__main__":
    main(sys.argv[1:])
