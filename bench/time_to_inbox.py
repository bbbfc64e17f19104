"""Time to inbox: from a registration to its ticket email at a local SMTP server, with the web
server and the task worker as the Procfile runs them.

First with an idle worker, then while bulk work runs: a CSV import of 20,000 people (a console
job) and 5,000 people added through the API in ten orders of 500 (`send_ticket: false`), whose
event is then renamed (every one of their tickets turns stale). Registrations are urgent work and
run before any of it; the bulk work must still finish.

Prints p50/p95/max time to inbox for each phase and how long the bulk work took. Targets (2 cores):
p95 under 1 s idle, under 5 s during the bulk work.

    python -m bench.time_to_inbox [--registrations 20] [--import-rows 20000] [--added 5000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
import urllib.request

from aiosmtpd.controller import Controller

from bench.common import Instance, free_port

SEED = """
import datetime as dt
from webapp.accounts import api_keys, service as accounts
from webapp.catalog import groups as catalog_groups
from webapp.catalog.models import Product
from webapp.db import utcnow
from webapp.events.models import Event
user = accounts.create_user("bench@example.org", "Bench", "bench-password-123")
org = accounts.create_organization("Bench Org", user, slug="bench")
start = utcnow() + dt.timedelta(days=30)
event = Event.create(organization=org, slug="launch", name="Launch", starts_at=start,
                     ends_at=start + dt.timedelta(hours=6), status="published", currency="IDR")
catalog_groups.create_default_group(event)  # as every event gets it when made (events.service)
product = Product.create(organization=org, event=event, name="Seat", price=0, currency="IDR", quota=100000)
key, token = api_keys.create_key(org, "bench")
print(event.id, product.id, token)
"""


class Arrivals:
    """The loopback SMTP server's handler: when each recipient's first email arrived."""

    def __init__(self):
        self.at: dict[str, float] = {}
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        now = time.monotonic()
        with self.lock:
            self.count += 1
            for rcpt in envelope.rcpt_tos:
                self.at.setdefault(rcpt.lower(), now)
        return "250 OK"

    def wait(self, address: str, timeout: float = 600) -> float | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if address in self.at:
                    return self.at[address]
            time.sleep(0.01)
        return None


class Api:
    def __init__(self, base: str, token: str):
        self.base, self.token = base, token

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            self.base + "/api/v1" + path,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read() or b"{}")


def register(api: Api, arrivals: Arrivals, event_id: int, product_id: int, email: str) -> float | None:
    started = time.monotonic()
    api.call(
        "POST",
        f"/events/{event_id}/registrants",
        {"product_id": product_id, "people": [{"name": "Ana Putri", "email": email}], "send_ticket": True},
    )
    arrived = arrivals.wait(email)
    return None if arrived is None else arrived - started


def phase(name: str, api, arrivals, event_id, product_id, count: int, pause: float) -> list[float]:
    times = []
    for i in range(count):
        took = register(api, arrivals, event_id, product_id, f"{name}-{i}@example.org")
        if took is None:
            print(f"  {name}: the ticket email of registration {i} never arrived")
        else:
            times.append(took)
        time.sleep(pause)
    return times


def report(name: str, times: list[float]) -> None:
    if not times:
        print(f"{name:<28} no email arrived")
        return
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    print(
        f"{name:<28} n={len(times):<3} p50 {statistics.median(times) * 1000:7.0f} ms   "
        f"p95 {p95 * 1000:7.0f} ms   max {max(times) * 1000:7.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registrations", type=int, default=20)
    parser.add_argument("--import-rows", type=int, default=20000)
    parser.add_argument("--added", type=int, default=5000)
    args = parser.parse_args()

    arrivals = Arrivals()
    port = free_port()
    controller = Controller(arrivals, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with Instance.create(SMTP_URL=f"smtp://127.0.0.1:{port}") as instance:
            event_id, product_id, token = instance.python(SEED).split()
            event_id, product_id = int(event_id), int(product_id)
            with instance.gunicorn() as base, instance.worker():
                print(f"server: {instance.server_shape}; worker: 2 threads, nice 10")
                api = Api(base, token)
                phase("warm", api, arrivals, event_id, product_id, 2, 0.2)
                idle = phase("idle", api, arrivals, event_id, product_id, args.registrations, 0.3)

                bulk_started = time.monotonic()
                rows = "\n".join(f"Person {i},bulk-import-{i}@example.org" for i in range(args.import_rows))
                job = api.call(
                    "POST",
                    f"/events/{event_id}/registrants/imports",
                    {"csv": "name,email\n" + rows, "product_id": product_id, "send_ticket": False},
                )
                for batch in range(args.added // 500):
                    people = [
                        {"name": f"Added {batch}-{i}", "email": f"added-{batch}-{i}@example.org"} for i in range(500)
                    ]
                    api.call(
                        "POST",
                        f"/events/{event_id}/registrants",
                        {"product_id": product_id, "people": people, "send_ticket": False},
                    )
                api.call("PATCH", f"/events/{event_id}", {"name": "Launch (moved)"})
                busy = phase("busy", api, arrivals, event_id, product_id, args.registrations, 0.3)
                state = api.call("GET", f"/imports/{job['id']}")
                while state["state"] not in ("done", "failed"):
                    time.sleep(0.5)
                    state = api.call("GET", f"/imports/{job['id']}")
                bulk_took = time.monotonic() - bulk_started

        print()
        report("idle worker", idle)
        report("during bulk work", busy)
        print(
            f"bulk work: import of {args.import_rows} {state['state']} "
            f"({state['processed']} rows) and {args.added} added, in {bulk_took:.1f} s"
        )
        print("targets: p95 < 1000 ms idle, < 5000 ms during bulk work")
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
