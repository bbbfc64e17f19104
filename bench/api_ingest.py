"""API throughput on gunicorn + SQLite with a real Huey consumer.

    python -m bench.api_ingest [--batches 20] [--clients 4] [--people 2000] [--tickets 2000] [--scanners 8]

1. Event ingestion: `clients` threads POST /api/v1/client/events/bulk with 1,000 events each
   (`batches` in all, over `people` distinct emails; the first 2,000 events introduce every
   person). Prints events accepted per second, counted from the answers, from the first post to
   the last answer (target 5,000/s on 2 cores), then how long after the last answer every event
   was processed by the worker (target 10 s), and checks that each got one timeline entry.
   For the CPU time of one post and of processing, see bench/ingest_cpu.py.
2. Check-in over the API: `scanners` threads redeem `tickets` distinct tickets through
   POST /api/v1/events/<id>/checkins. Prints scans per second and latency.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Client, Instance, Timings, run_concurrently, timed  # noqa: E402

SEED = """
import datetime as dt, json, secrets
from webapp.accounts import service as accounts
from webapp.accounts.api_keys import create_key
from webapp.accounts.models import ApiKeyPolicy
from webapp.catalog.models import Product
from webapp.contacts import ingest
from webapp.db import db, utcnow
from webapp.events.models import Event
from webapp.orders.models import Order, OrderItem, Registrant
from webapp.orders.ticket_secrets import new_ticket_secret
owner = accounts.create_user("bench@example.org", "Bench", "bench-password-123")
org = accounts.create_organization("Bench Org", owner)
key, token = create_key(org, "bench")
ApiKeyPolicy.create(api_key=key, requests_per_minute=1000000)
ingest.create_tag_rule(org.id, event_type="purchase", property_name="plan", property_value="pro", action="add", label="Pro")
start = utcnow() + dt.timedelta(hours=1)
event = Event.create(organization=org, slug="bench", name="Bench Conf", starts_at=start, ends_at=start + dt.timedelta(hours=8), status="published")
product = Product.create(organization=org, event=event, name="Pass", currency="IDR")
tickets = []
with db.atomic():
    for n in range({tickets}):
        order = Order.create(organization=org, event=event, code=f"B{{n:07d}}", secret=secrets.token_hex(16), status="paid",
                             buyer_name=f"Guest {{n}}", buyer_email=f"guest{{n}}@example.org", currency="IDR", paid_at=utcnow())
        item = OrderItem.create(organization=org, order=order, product=product, price=0)
        r = Registrant.create(organization=org, event=event, order=order, product=product, item=item, name=f"Guest {{n}}",
                              email=f"guest{{n}}@example.org", ticket_secret=new_ticket_secret())
        tickets.append(r.ticket_secret)
print(json.dumps({{"token": token, "event_id": event.id, "tickets": tickets}}))
"""

TYPES = ("signup", "purchase", "core_activity", "feature_used", "cart")


def batch(index: int, people: int) -> dict:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    events = []
    for n in range(1000):
        serial = index * 1000 + n
        events.append(
            {
                "type": TYPES[serial % len(TYPES)],
                "email": f"person{serial % people}@example.org",
                "occurred_at": now,
                "properties": {"plan": "pro" if serial % 7 == 0 else "basic", "serial": serial},
                "idempotency_key": f"evt-{serial}",
            }
        )
    return {"events": events}


def warm_up(url: str, token: str, clients: int, db_path: Path) -> int:
    """Every web worker loads its templates and connections before the clock starts, and the task
    worker has processed one event (it builds its app on its first task). The server is first
    given time to boot (on a busy machine a worker can take longer than a request's timeout to
    import the app). Returns the warm-up event's id: the bench's own events come after it."""
    deadline = time.monotonic() + 180
    while True:
        try:
            Client(url).request("GET", "/api/v1/events", headers={"Authorization": f"Bearer {token}"})
            break
        except TimeoutError:
            if time.monotonic() > deadline:
                raise

    def work(i: int, timings: Timings) -> None:
        client = Client(url)
        for _ in range(4):
            client.request("GET", "/api/v1/events", headers={"Authorization": f"Bearer {token}"})

    run_concurrently(clients, work)
    event = {"type": "signup", "email": "warm-up@example.org"}
    auth = {"Authorization": f"Bearer {token}"}
    Client(url).request("POST", "/api/v1/client/events/bulk", json_body={"events": [event]}, headers=auth)
    connection = sqlite3.connect(db_path, timeout=30)
    while connection.execute("SELECT COUNT(*) FROM incoming_event WHERE status = 'pending'").fetchone()[0]:
        if time.monotonic() > deadline:
            raise RuntimeError("the task worker processed nothing")
        time.sleep(0.1)
    newest = connection.execute("SELECT MAX(id) FROM incoming_event").fetchone()[0]
    connection.close()
    return newest


def ingest(url: str, token: str, batches: int, clients: int, people: int) -> tuple[int, float]:
    """The clients post their share of the bodies (encoded before the clock starts: encoding is
    the client's work) over keep-alive connections. Returns the events accepted (as the answers
    count them) and the monotonic time of the last answer."""
    bodies = [json.dumps(batch(i, people)) for i in range(batches)]
    auth = {"Authorization": f"Bearer {token}"}
    counted = {"accepted": 0, "duplicates": 0}
    failures: list[str] = []

    def work(i: int, timings: Timings) -> None:
        client = Client(url)

        def post(body: str) -> bool:
            status, data, _ = client.request("POST", "/api/v1/client/events/bulk", json_text=body, headers=auth)
            if status != 202:
                failures.append(f"{status} {data[:200]!r}")
                return False
            answer = json.loads(data)
            counted["accepted"] += answer["accepted"]  # one thread at a time may add (the GIL)
            counted["duplicates"] += answer["duplicates"]
            return True

        for body in bodies[i::clients]:
            timed(timings, lambda b=body: post(b))

    timings = run_concurrently(clients, work)
    last_answer_at = time.monotonic()
    accepted = counted["accepted"]
    print(timings.report("bulk posts (1,000 events each)"))
    for failure in failures[:3]:
        print(f"  refused: {failure}")
    print(
        f"ingestion over HTTP, {clients} clients: {accepted} events accepted in {timings.wall:.2f} s = "
        f"{accepted / timings.wall:.0f} events/s (target 5,000/s on 2 cores); duplicates {counted['duplicates']}, "
        f"posts refused {timings.errors}"
    )
    return accepted, last_answer_at


def wait_processed(db_path: Path, after_id: int, accepted: int, last_answer_at: float, timeout: float = 120) -> None:
    """Poll until none of the bench's events (ids after `after_id`) is pending; then check that
    each was handled once (one timeline entry per processed event)."""
    connection = sqlite3.connect(db_path, timeout=30)
    ours = "FROM incoming_event WHERE id > ?"
    while True:
        pending = connection.execute(f"SELECT COUNT(*) {ours} AND status = 'pending'", (after_id,)).fetchone()[0]
        if pending == 0 or time.monotonic() - last_answer_at > timeout:
            break
        time.sleep(0.1)
    waited = time.monotonic() - last_answer_at
    counts = dict(connection.execute(f"SELECT status, COUNT(*) {ours} GROUP BY status", (after_id,)).fetchall())
    entries = connection.execute(
        "SELECT COUNT(*) FROM activity JOIN incoming_event ON activity.dedupe_key = 'ingest:' || incoming_event.id "
        "WHERE incoming_event.id > ?",
        (after_id,),
    ).fetchone()[0]
    contacts = connection.execute("SELECT COUNT(*) FROM contact WHERE email LIKE 'person%@example.org'").fetchone()[0]
    connection.close()
    processed, failed = counts.get("processed", 0), counts.get("failed", 0)
    state = "every event processed" if not counts.get("pending") else f"{counts['pending']} STILL PENDING after"
    once = "one each" if entries == processed else "MISMATCH"
    print(
        f"processing: {state} {waited:.2f} s after the last accept (target: within 10 s); "
        f"processed {processed}, failed {failed} of {accepted} accepted; timeline entries {entries} ({once}); "
        f"contacts {contacts}"
    )


def redeem(url: str, token: str, event_id: int, tickets: list[str], scanners: int) -> None:
    auth = {"Authorization": f"Bearer {token}"}

    def work(i: int, timings: Timings) -> None:
        client = Client(url)
        for secret in tickets[i::scanners]:

            def scan(s=secret):
                status, data, _ = client.request(
                    "POST",
                    f"/api/v1/events/{event_id}/checkins",
                    json_body={"secret": s, "gate": f"G{i}"},
                    headers=auth,
                )
                return status == 200 and json.loads(data)["result"] == "ok"

            timed(timings, scan)

    print(run_concurrently(scanners, work).report("API check-in redeem", unit="scans"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--scanners", type=int, default=8)
    parser.add_argument("--web-workers", type=int, help="gunicorn workers (default: the Procfile's)")
    parser.add_argument("--task-workers", type=int, default=2)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] if __name__ == "__main__" else [])
    with Instance.create() as instance:
        seeded = json.loads(instance.python(SEED.format(tickets=args.tickets)).strip().splitlines()[-1])
        with instance.worker(args.task_workers), instance.gunicorn(args.web_workers) as url:
            database = instance.dir / "rollcall.db"
            warm_up_id = warm_up(url, seeded["token"], args.clients * 2, database)
            accepted, last_answer_at = ingest(url, seeded["token"], args.batches, args.clients, args.people)
            wait_processed(database, warm_up_id, accepted, last_answer_at)
            redeem(url, seeded["token"], seeded["event_id"], seeded["tickets"], args.scanners)


if __name__ == "__main__":
    main()
