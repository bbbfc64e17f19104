"""Door throughput: concurrent scanners against gunicorn + SQLite through the JSON check-in endpoint,
signed in as door staff exactly like the scanner page (session cookie + CSRF header).

    python -m bench.checkin [--tickets 3000] [--gates 16] [--buyers 0] [--workers N] [--threads N] [--db URL ...]

Gates work in pairs that scan the same tickets in the same order at the same time (two doors, one
queue), so every ticket is raced once: exactly one `ok` per ticket is expected. Prints scans per
second, p50 and p99 latency, and double admissions (tickets let in twice; must be 0), counted from
the answers and again from the check-in log in the database.

`--buyers N`: the door opens while the registration desk still sells: N buyers register for the
same event (a free ticket) for as long as the gates scan, each registration taking the event's
seat lock. Prints the registrations' rate beside the scans'.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import registration  # noqa: E402
from bench.common import (  # noqa: E402
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
from bench.databases import Figures, add_database_options, run_on_each  # noqa: E402

DOOR_EMAIL, DOOR_PASSWORD = "door@example.org", "door-password-123"

SEED = """
import json
from webapp.accounts import service as accounts
from webapp.accounts.models import Membership
from webapp.catalog import groups as catalog_groups
from webapp.catalog.models import Product
from webapp.db import db, utcnow
from webapp.events.models import Event
from webapp.orders.models import Order, OrderItem, Registrant
from webapp.orders.ticket_secrets import new_ticket_secret
import datetime as dt, secrets
owner = accounts.create_user("bench@example.org", "Bench", "bench-password-123")
org = accounts.create_organization("Bench Org", owner, slug="bench")
door = accounts.create_user("{email}", "Door", "{password}")
Membership.create(user=door, organization=org, role="door")
start = utcnow() + dt.timedelta(hours=1)
event = Event.create(organization=org, slug="bench", name="Bench Conf", starts_at=start, ends_at=start + dt.timedelta(hours=8), status="published")
catalog_groups.create_default_group(event)  # as every event gets it when made (events.service)
product = Product.create(organization=org, event=event, name="Pass", currency="IDR")
out = []
with db.atomic():
    for n in range({tickets}):
        order = Order.create(organization=org, event=event, code=f"B{{n:07d}}", secret=secrets.token_hex(16), status="paid",
                             buyer_name=f"Guest {{n}}", buyer_email=f"guest{{n}}@example.org", currency="IDR", paid_at=utcnow())
        item = OrderItem.create(organization=org, order=order, product=product, price=0)
        secret = new_ticket_secret()
        Registrant.create(organization=org, event=event, order=order, product=product, item=item, name=f"Guest {{n}}",
                          email=f"guest{{n}}@example.org", ticket_secret=secret)
        out.append(secret)
print(json.dumps({{"event_id": event.id, "product_id": product.id, "secrets": out}}))
"""

COUNT_DOUBLES = """
from webapp.checkin.models import Checkin
import peewee as pw
rows = (Checkin.select(Checkin.registrant, pw.fn.COUNT(Checkin.id)).where(Checkin.result == "ok")
        .group_by(Checkin.registrant).having(pw.fn.COUNT(Checkin.id) > 1).count())
print(rows)
"""


def door_client(url: str, event_id: int) -> Client:
    """A keep-alive client signed in as door staff, sending the page's CSRF token like scanner.js."""
    client = Client(url)
    status, body, response = client.request("GET", "/login")
    client.headers["Cookie"] = _cookie(response)
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1).decode()
    form = {"email": DOOR_EMAIL, "password": DOOR_PASSWORD, "csrf_token": token}
    status, body, response = client.request("POST", "/login", form=form)
    if status != 302:
        raise RuntimeError(f"sign-in failed ({status})")
    client.headers["Cookie"] = _cookie(response)
    status, body, response = client.request("GET", f"/checkin/{event_id}")
    client.headers["X-CSRFToken"] = re.search(rb'name="csrf-token" content="([^"]+)"', body).group(1).decode()
    if response.getheader("Set-Cookie"):
        client.headers["Cookie"] = _cookie(response)
    return client


def _cookie(response) -> str:
    return "; ".join(c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or [])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=3000)
    parser.add_argument("--gates", type=int, default=16, help="concurrent scanning clients (an even number)")
    parser.add_argument("--buyers", type=int, default=0, help="buyers registering for the event during the scans")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: the Procfile's)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: the Procfile's)")
    add_database_options(parser)
    args, _ = parser.parse_known_args()
    run_on_each(args, lambda instance: measure(instance, args))


def measure(instance: Instance, args: argparse.Namespace) -> Figures:
    gates = max(2, args.gates - args.gates % 2)
    seed = SEED.format(email=DOOR_EMAIL, password=DOOR_PASSWORD, tickets=args.tickets)
    seeded = json.loads(instance.python(seed).strip().splitlines()[-1])
    event_id, secrets = seeded["event_id"], seeded["secrets"]
    pairs = gates // 2
    queues = [secrets[p::pairs] for p in range(pairs)]  # each pair of gates shares one queue
    answers: list[list[tuple[str, str, str | None]]] = [[] for _ in range(gates)]

    with instance.gunicorn(workers=args.workers, threads=args.threads) as url:
        path = f"/api/v1/events/{event_id}/checkins"

        def warm_up(index: int, timings: Timings) -> None:
            client = door_client(url, event_id)
            for _ in range(20):
                client.request("GET", f"/api/v1/events/{event_id}/checkins/stats")

        run_concurrently(8, warm_up)

        # Sign-ins (a password hash each) and request bodies are made before the clock starts.
        clients = [LeanClient(url, door_client(url, event_id).headers) for _ in range(gates)]
        bodies = [
            [
                (
                    secret,
                    json.dumps({"secret": secret, "gate": f"Gate {index}", "nonce": uuid.uuid4().hex}).encode(),
                )
                for secret in queues[index // 2]
            ]
            for index in range(gates)
        ]

        def gate(index: int, timings: Timings) -> None:
            client = clients[index]
            for secret, body in bodies[index]:

                def one(secret: str = secret, body: bytes = body) -> bool:
                    status, answer_body = client.post_json(path, body)
                    if status != 200:
                        return False
                    answer = json.loads(answer_body)
                    answers[index].append((secret, answer["result"], answer["reason"]))
                    return True

                timed(timings, one)

        server = instance.server_shape
        desk, sold, scanned = None, [], threading.Event()
        if args.buyers:
            form = "/e/bench/bench/register"
            registration.drive(url, seeded["product_id"], 2, 2, path=form)  # the form's first answers
            desk = threading.Thread(
                target=lambda: sold.append(
                    registration.drive(url, seeded["product_id"], args.buyers, 10**6, path=form, until=scanned)[0]
                )
            )
            desk.start()
        cpu_before, machine_before = instance.server_cpu(), cpu_by_program()
        timings = run_concurrently(gates, gate)
        server_cpu, machine_after = instance.server_cpu() - cpu_before, cpu_by_program()
        shares = worker_shares(machine_before, machine_after, instance.worker_pids())
        scanned.set()
        if desk is not None:
            desk.join()

    oks = Counter(secret for per_gate in answers for secret, result, _ in per_gate if result == "ok")
    reasons = Counter(reason for per_gate in answers for _, result, reason in per_gate if result != "ok")
    doubles = sum(1 for n in oks.values() if n > 1)
    never = len(secrets) - len(oks)
    logged_doubles = int(instance.python(COUNT_DOUBLES).strip().splitlines()[-1])

    scans = max(1, len(timings.seconds))
    print(timings.report(f"{gates} gates ({pairs} pairs racing), gunicorn {server}", "scans"))
    print(f"scans/s: {len(timings.seconds) / timings.wall:.0f}")
    print(f"p50: {timings.percentile(50):.1f} ms   p99: {timings.percentile(99):.1f} ms")
    buyers_too = " (the buyers' registrations included)" if args.buyers else ""
    print(f"server CPU per scan: {server_cpu / scans * 1000:.2f} ms{buyers_too}")
    machine = cpu_used(machine_before, machine_after, scans)
    print(f"machine CPU per scan, ms by program: {cpu_split(machine)}")
    print(f"gunicorn workers' shares of their CPU: {shares}")
    print(f"tickets: {len(secrets)}; admitted once: {sum(1 for n in oks.values() if n == 1)}; never admitted: {never}")
    print(f"refusals: {dict(reasons)}")
    print(f"double admissions: {doubles} (answers), {logged_doubles} (check-in log)", flush=True)
    during = {}
    if sold:
        print(sold[0].report(f"registrations during the scans, {args.buyers} buyers", unit="registrations"))
        during = {"registrations/s during the scans": len(sold[0].seconds) / sold[0].wall if sold[0].wall else 0.0}
    return {
        "scans/s": len(timings.seconds) / timings.wall,
        "p50 ms": timings.percentile(50),
        "p99 ms": timings.percentile(99),
        "server CPU ms/scan": server_cpu / scans * 1000,
        "database CPU ms/scan": machine.get(DATABASE_PROGRAM, 0.0),
        "double admissions": doubles + logged_doubles,
        **during,
    }


if __name__ == "__main__":
    main()
