"""Two nodes, one truth: 2 gunicorn nodes on different ports and 2 Huey workers on one PostgreSQL
database and one Redis queue, a checkout rush and a door rush spread over both nodes.

    python -m bench.cluster [--buyers 300] [--seats 200] [--tickets 400] [--clients 8] [--scanners 8]
                            [--db postgresql://127.0.0.1:5432/test] [--redis redis://127.0.0.1:6379/13]

1. Checkout rush: `clients` threads buy one ticket each for `buyers` people through the API
   (POST /api/v1/events/<id>/registrants, ticket email on), alternating between the nodes, for a
   ticket type of `seats` seats.
2. Door rush: `scanners` threads in pairs, the two of a pair on different nodes, scan the same
   `tickets` tickets in the same order (POST /api/v1/events/<id>/checkins): each is raced once.

Prints requests per second per node and in total, p50/p99, then what must hold: oversold seats (0),
double admissions (0), ticket emails delivered exactly once (each sale's email once, none twice)
and webhooks delivered exactly once (one registration.created per sale, one checkin.created per
admission). A database of its own is created next to the one named and dropped at the end; the
Redis database given is emptied. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402

from bench.common import BIN, ROOT, Client, Timings, free_port, procfile_web_options, timed  # noqa: E402
from tests.api.test_webhooks import Receiver  # noqa: E402
from tests.smtp import Inbox  # noqa: E402
from webapp.db.scratch import scratch_database  # noqa: E402

SEED = """
import datetime as dt, json, secrets
from webapp.accounts import service as accounts
from webapp.accounts.api_keys import create_key
from webapp.accounts.models import ApiKeyPolicy
from webapp.api import webhooks
from webapp.catalog import groups as catalog_groups
from webapp.catalog.models import Product
from webapp.db import db, utcnow
from webapp.events.models import Event
from webapp.orders.models import Order, OrderItem, Registrant
from webapp.orders.ticket_secrets import new_ticket_secret
owner = accounts.create_user("bench@example.org", "Bench", "bench-password-123")
org = accounts.create_organization("Cluster Org", owner)
key, token = create_key(org, "bench")
ApiKeyPolicy.create(api_key=key, requests_per_minute=1000000)
endpoint, secret = webhooks.create_endpoint(org.id, url={hook_url!r}, topics=["registration.created", "checkin.created"])
start = utcnow() + dt.timedelta(hours=1)
event = Event.create(organization=org, slug="cluster", name="Cluster Conf", starts_at=start, ends_at=start + dt.timedelta(hours=8), status="published")
catalog_groups.create_default_group(event)  # as every event gets it when made (events.service)
seats = Product.create(organization=org, event=event, name="Rush", currency="IDR", quota={seats})
door = Product.create(organization=org, event=event, name="Door", currency="IDR", position=1)
tickets = []
with db.atomic():
    for n in range({tickets}):
        order = Order.create(organization=org, event=event, code=f"D{{n:07d}}", secret=secrets.token_hex(16), status="paid",
                             buyer_name=f"Guest {{n}}", buyer_email=f"guest{{n}}@door.test", currency="IDR", paid_at=utcnow())
        item = OrderItem.create(organization=org, order=order, product=door, price=0)
        r = Registrant.create(organization=org, event=event, order=order, product=door, item=item, name=f"Guest {{n}}",
                              email=f"guest{{n}}@door.test", ticket_secret=new_ticket_secret())
        tickets.append(r.ticket_secret)
print("SEED " + json.dumps({{"token": token, "event": event.id, "product": seats.id, "secret": secret, "tickets": tickets}}))
"""

COUNT = """
import json
from webapp.checkin.models import Checkin
from webapp.orders.models import Registrant
from peewee import fn
sold = Registrant.select().where(Registrant.product == {product}).count()
twice = (Checkin.select(Checkin.registrant).where((Checkin.event == {event}) & (Checkin.result == "ok") & Checkin.undone_at.is_null())
         .group_by(Checkin.registrant).having(fn.COUNT(Checkin.id) > 1).count())
print("COUNT " + json.dumps({{"sold": sold, "twice": twice}}))
"""


class Cluster:
    def __init__(self, tmp: Path, database_url: str, redis_url: str, inbox_url: str):
        self.ports = [free_port(), free_port()]
        self.urls = [f"http://127.0.0.1:{port}" for port in self.ports]
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ROLLCALL_")}
        self.env.update(
            ROLLCALL_ENV="development",  # production refuses the loopback http:// webhook receiver
            INSTANCE_DIR=str(tmp),
            DATABASE_URL=database_url,
            HUEY_URL=redis_url,
            SECRET_KEY="bench-secret-key-0123456789abcdef",
            BASE_URL=self.urls[0],
            SMTP_URL=inbox_url,
            WEB_CONCURRENCY="1",  # one process per node: two nodes on a 2-core machine
        )
        self.procs: list[subprocess.Popen] = []
        self.log = (tmp / "processes.log").open("ab")  # the nodes' and workers' lines, out of the figures' way

    def python(self, code: str, marker: str) -> dict:
        wrapper = "from webapp.app import create_app\napp = create_app()\nwith app.app_context():\n" + "\n".join(
            "    " + line for line in code.strip().splitlines()
        )
        done = subprocess.run([sys.executable, "-c", wrapper], cwd=ROOT, env=self.env, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(done.stderr[-4000:])
        line = next(line for line in done.stdout.splitlines() if line.startswith(marker + " "))
        return json.loads(line.removeprefix(marker + " "))

    def start(self) -> None:
        subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=self.env, check=True,
                       capture_output=True)  # fmt: skip
        for port in self.ports:
            argv = [str(BIN / "gunicorn"), *procfile_web_options(), "--bind", f"127.0.0.1:{port}"]
            self.procs.append(
                subprocess.Popen(
                    [*argv, "--log-level", "warning", "wsgi:app"],
                    cwd=ROOT,
                    env=self.env,
                    stdout=self.log,
                    stderr=self.log,
                )
            )
        for _ in range(2):
            argv = [str(BIN / "huey_consumer"), "tasks.all.huey", "--workers", "2", "--worker-type", "thread",
                    "--graceful-signal", "TERM", "--quiet"]  # fmt: skip
            self.procs.append(subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log))
        for url in self.urls:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(OSError):
                    status, _, _ = Client(url).request("GET", "/healthz")
                    if status == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{url} did not start")
                time.sleep(0.2)

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(30)
        self.log.close()


def spread(clients: int, jobs: list, work) -> tuple[list[Timings], float]:
    """Run work(client, job, timings_of_its_node) over the jobs, `clients` threads, client n on
    node n % 2; returns the timings per node and the wall time."""

    def run(n: int, mine: Timings):
        for job in jobs[n::clients]:
            work(n, job, mine)

    return _on_two_nodes(clients, run)


def _on_two_nodes(count: int, body) -> tuple[list[Timings], float]:
    """body(n, timings) in `count` threads, thread n's timings counted for node n % 2; returns the
    timings per node and the wall time."""
    per_node = [Timings(), Timings()]
    lock = threading.Lock()

    def run(n: int):
        mine = Timings()
        body(n, mine)
        with lock:
            per_node[n % 2].add(mine)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    for timings in per_node:
        timings.wall = wall
    return per_node, wall


def report(label: str, per_node: list[Timings], wall: float) -> None:
    for index, timings in enumerate(per_node):
        print("  " + timings.report(f"{label}, node {index + 1}"))
    total = Timings(wall=wall)
    for timings in per_node:
        total.add(timings)
    print("  " + total.report(f"{label}, both nodes"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=300)
    parser.add_argument("--seats", type=int, default=200)
    parser.add_argument("--tickets", type=int, default=400)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--scanners", type=int, default=8)
    parser.add_argument("--db", default=os.environ.get("TEST_DATABASE_URL") or "postgresql://127.0.0.1:5432/test")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--settle", type=float, default=60.0, help="seconds to wait for emails and webhooks")
    args = parser.parse_args(argv)
    redis.Redis.from_url(args.redis).flushdb()

    inbox = Inbox()
    smtp_port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    with (
        Receiver() as receiver,
        scratch_database(args.db, f"rollcall_cluster_{os.getpid()}", replace=True) as database_url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        cluster = Cluster(Path(tmp), database_url, args.redis, f"smtp://127.0.0.1:{smtp_port}")
        try:
            cluster.start()
            seed = cluster.python(SEED.format(hook_url=receiver.url, seats=args.seats, tickets=args.tickets), "SEED")
            receiver.secret = seed["secret"]
            auth = {"Authorization": f"Bearer {seed['token']}"}
            print(f"2 nodes ({', '.join(cluster.urls)}), 2 workers, PostgreSQL + Redis; {args.buyers} buyers for "
                  f"{args.seats} seats, {args.tickets} tickets at {args.scanners} gates")  # fmt: skip
            time.sleep(2.5)  # the nodes' cached "does anyone listen to webhooks?" answer

            sales: list[dict] = []
            clients: dict[int, Client] = {}

            def buy(n: int, buyer: int, timings: Timings):
                client = clients.setdefault(n, Client(cluster.urls[n % 2]))
                body = {"product_id": seed["product"], "send_ticket": True,
                        "people": [{"name": f"Buyer {buyer}", "email": f"buyer{buyer}@rush.test"}]}  # fmt: skip

                def call():
                    status, data, _ = client.request(
                        "POST", f"/api/v1/events/{seed['event']}/registrants", json_body=body, headers=auth
                    )
                    if status == 201:
                        sales.append(json.loads(data))
                    return status in (201, 409, 422)  # sold out is an answer

                timed(timings, call)

            per_node, wall = spread(args.clients, list(range(args.buyers)), buy)
            print("Checkout rush (a sale or a sold-out answer per request):")
            report("checkout", per_node, wall)

            admitted: Counter = Counter()
            admitted_lock = threading.Lock()
            gate_clients: dict[int, Client] = {}

            def scan(n: int, job, timings: Timings):
                client = gate_clients.setdefault(n, Client(cluster.urls[n % 2]))
                _, secret = job

                def call():
                    status, data, _ = client.request(
                        "POST", f"/api/v1/events/{seed['event']}/checkins", json_body={"secret": secret}, headers=auth
                    )
                    if status in (200, 201) and json.loads(data)["result"] == "ok":
                        with admitted_lock:
                            admitted[secret] += 1
                    return status in (200, 201)

                timed(timings, call)

            per_node, wall = spread_pairs(args.scanners, seed["tickets"], scan)
            print("Door rush (each ticket raced by two gates on different nodes):")
            report("scans", per_node, wall)

            deadline = time.monotonic() + args.settle
            buyers = {sale["registrants"][0]["email"] for sale in sales}
            while time.monotonic() < deadline:
                got = {m["To"].addresses[0].addr_spec for m in inbox.messages if "@rush.test" in str(m["To"])}
                hooks = Counter(r["body"]["type"] for r in receiver.received)
                if (
                    got >= buyers
                    and hooks["registration.created"] >= len(sales)
                    and hooks["checkin.created"] >= len(admitted)
                ):
                    break
                time.sleep(0.5)
            time.sleep(3)  # a duplicate would arrive about now
            counted = cluster.python(COUNT.format(product=seed["product"], event=seed["event"]), "COUNT")

            emails = Counter(m["Message-ID"] for m in inbox.messages if "@rush.test" in str(m["To"]))
            per_buyer = Counter(m["To"].addresses[0].addr_spec for m in inbox.messages if "@rush.test" in str(m["To"]))
            sale_hooks = Counter(r["body"]["data"]["order"]["id"] for r in receiver.received
                                 if r["body"]["type"] == "registration.created")  # fmt: skip
            scan_hooks = Counter(json.dumps(r["body"]["data"].get("checkin", r["body"]["data"]), sort_keys=True)
                                 for r in receiver.received if r["body"]["type"] == "checkin.created")  # fmt: skip
            print("What must hold:")
            print(
                f"  sold {counted['sold']} of {args.seats} seats; oversold seats: {max(0, counted['sold'] - args.seats)}"
            )
            print(f"  admitted {len(admitted)} of {len(seed['tickets'])} tickets; double admissions: "
                  f"{counted['twice']} in the check-in log, {sum(1 for c in admitted.values() if c > 1)} in the answers")  # fmt: skip
            print(f"  ticket emails: {len(buyers)} sales, {sum(1 for b in buyers if per_buyer[b] >= 1)} delivered, "
                  f"{sum(1 for b in buyers if per_buyer[b] == 0)} missing, "
                  f"{sum(c - 1 for c in emails.values() if c > 1)} delivered twice (same Message-ID)")  # fmt: skip
            print(f"  webhooks registration.created: {len(sales)} sales, {len(sale_hooks)} delivered, "
                  f"{sum(c - 1 for c in sale_hooks.values() if c > 1)} twice; checkin.created: {len(admitted)} "
                  f"admissions, {sum(scan_hooks.values())} delivered, {sum(c - 1 for c in scan_hooks.values() if c > 1)} twice")  # fmt: skip
        finally:
            cluster.stop()
    controller.stop()


def spread_pairs(scanners: int, tickets: list[str], scan) -> tuple[list[Timings], float]:
    """`scanners` gates; gate n on node n % 2; gates 2k and 2k+1 scan every ticket in the same order."""
    start = threading.Barrier(scanners)

    def gate(n: int, mine: Timings):
        start.wait()
        for secret in tickets:
            scan(n, (n // 2, secret), mine)

    return _on_two_nodes(scanners, gate)


if __name__ == "__main__":
    main()
