"""What one request costs in database round trips: a door scan, a registration and the landing
page, each run in this process against a fresh database (PostgreSQL by default), with every
statement the driver sends counted and timed (BEGIN, COMMIT and the pool's checks included).

    python -m bench.statements [--db postgresql://postgres@127.0.0.1/test] [--repeat 200] [--show] [--profile] [--plans]

For each request: round trips, time waiting on the database (each statement from send to answer:
the server's time plus the loopback), and the rest of the request's time (Python: Flask, peewee,
templates), and this process's CPU time for it (Python and the driver: the database server's is
not in it), as the mean of `--repeat` requests after a warm-up. `--show` prints the statements of
one request; `--profile` the functions that took most of each kind's time (cProfile, own time
and with what they call); `--plans` what the server's executor spent on each kind's statements
and, of that, on each trigger (foreign-key checks included), from auto_explain's plans sent back
to this client (the database user must be allowed to load auto_explain, as a superuser is; the
timing adds its own cost, so read the shares, not the milliseconds). Nothing here asserts: it
prints figures for docs/performance.md.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import re
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2.extensions

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["HUEY_URL"] = "memory://"  # before tasks/ is first imported: wake-ups stay in this process

from bench.common import print_profile  # noqa: E402
from bench.databases import DEFAULT_POSTGRES, label, scratch_postgres  # noqa: E402
from webapp import migrate  # noqa: E402
from webapp.accounts import service as accounts  # noqa: E402
from webapp.accounts.models import Membership  # noqa: E402
from webapp.app import create_app  # noqa: E402
from webapp.catalog import groups as catalog_groups  # noqa: E402
from webapp.catalog.models import Product  # noqa: E402
from webapp.db import db, utcnow  # noqa: E402
from webapp.events.models import Event  # noqa: E402
from webapp.orders.models import Order, OrderItem, Registrant  # noqa: E402
from webapp.orders.ticket_secrets import new_ticket_secret  # noqa: E402

# `--plans`: every statement's plan, with the time it took and its triggers', sent back to the
# client as a LOG message (client_min_messages) rather than written to the server's log.
AUTO_EXPLAIN = " ".join(
    f"-c {setting}"
    for setting in (
        "session_preload_libraries=auto_explain",
        "auto_explain.log_min_duration=0",
        "auto_explain.log_analyze=on",
        "auto_explain.log_triggers=on",
        "auto_explain.log_format=json",
        "client_min_messages=log",
    )
)
_PLAN = re.compile(r"duration: ([0-9.]+) ms\s+plan:\s*(\{.*\})", re.DOTALL)

_log = threading.local()


def _record(sql: str, seconds: float, notices: list[str]) -> None:
    statements = getattr(_log, "statements", None)
    if statements is not None:
        statements.append((sql, seconds))
        _log.plans.extend(server_plans(notices))


def server_plans(notices: list[str]) -> list[dict]:
    """auto_explain's messages about statements: each one's executor time (ms) and its triggers'
    times by constraint (or trigger) name and table. Other messages are left out."""
    plans = []
    for notice in notices:
        found = _PLAN.search(notice)
        if not found:
            continue
        plan = json.loads(found.group(2))
        triggers = {
            f"{t.get('Constraint Name') or t['Trigger Name']} on {t['Relation']}": t["Time"]
            for t in plan.get("Triggers", ())
        }
        plans.append({"ms": float(found.group(1)), "triggers": triggers})
    return plans


class CountingCursor(psycopg2.extensions.cursor):
    """A cursor that notes each statement it sends, how long the answer took and, with `--plans`,
    what the server's executor spent on it."""

    def execute(self, sql, params=None):
        start = time.perf_counter()
        try:
            return super().execute(sql, params)
        finally:
            seconds = time.perf_counter() - start
            notices = self.connection.notices[:]
            del self.connection.notices[:]
            _record(sql if isinstance(sql, str) else sql.decode(), seconds, notices)


@contextmanager
def counted():
    _log.statements, _log.plans = [], []
    try:
        yield _log.statements, _log.plans
    finally:
        _log.statements = _log.plans = None


def build_app(database_url: str, tmp: Path, plans: bool = False):
    app = create_app(
        {
            "ENVIRON": {
                "ROLLCALL_ENV": "production",
                "DATABASE_URL": database_url,
                "HUEY_URL": "memory://",
                "SECRET_KEY": "bench-secret-key-0123456789abcdef",
                "INSTANCE_DIR": str(tmp),
                "BASE_URL": "http://localhost",
            }
        }
    )
    if label(database_url) == "PostgreSQL":
        db.obj.connect_params["cursor_factory"] = CountingCursor
        if plans:
            db.obj.connect_params["options"] = AUTO_EXPLAIN
    with app.app_context():
        db.connect(reuse_if_open=True)
        migrate.upgrade(db.obj)
        db.close()
    return app


def seed(app) -> dict:
    with app.app_context(), db.connection_context():
        owner = accounts.create_user("bench@example.org", "Bench", "bench-password-123")
        org = accounts.create_organization("Bench Org", owner, slug="bench")
        door = accounts.create_user("door@example.org", "Door", "door-password-123")
        Membership.create(user=door, organization=org, role="door")
        start = utcnow() + dt.timedelta(hours=1)
        event = Event.create(
            organization=org, slug="launch", name="Launch", starts_at=start, ends_at=start + dt.timedelta(hours=8),
            status="published", currency="IDR", max_tickets_per_order=10,
        )  # fmt: skip
        catalog_groups.create_default_group(event)  # as every event gets it when made (events.service)
        product = Product.create(organization=org, event=event, name="Seat", price=0, currency="IDR", quota=100000)
        secrets = []
        with db.atomic():
            for n in range(3000):
                order = Order.create(
                    organization=org, event=event, code=f"B{n:07d}", secret=uuid.uuid4().hex, status="paid",
                    buyer_name=f"Guest {n}", buyer_email=f"guest{n}@example.org", currency="IDR", paid_at=utcnow(),
                )  # fmt: skip
                item = OrderItem.create(organization=org, order=order, product=product, price=0)
                secret = new_ticket_secret()
                Registrant.create(
                    organization=org, event=event, order=order, product=product, item=item, name=f"Guest {n}",
                    email=f"guest{n}@example.org", ticket_secret=secret,
                )  # fmt: skip
                secrets.append(secret)
        return {"event_id": event.id, "product_id": product.id, "secrets": secrets}


def _csrf(html: bytes, pattern: bytes) -> str:
    return re.search(pattern, html).group(1).decode()


def door_client(app, event_id: int):
    client = app.test_client()
    page = client.get("/login").data
    token = _csrf(page, rb'name="csrf_token" type="hidden" value="([^"]+)"')
    answer = client.post(
        "/login", data={"email": "door@example.org", "password": "door-password-123", "csrf_token": token}
    )
    assert answer.status_code == 302, answer.status_code
    page = client.get(f"/checkin/{event_id}").data
    return client, _csrf(page, rb'name="csrf-token" content="([^"]+)"')


def requests(app, seeded: dict, repeat: int) -> dict:
    """name -> a function making one request (each call a new one of its kind)."""
    event_id, secrets = seeded["event_id"], iter(seeded["secrets"])
    door, door_token = door_client(app, event_id)
    buyer = app.test_client()
    form_token = _csrf(buyer.get("/e/bench/launch/register").data, rb'name="csrf_token" value="([^"]+)"')
    visitor = app.test_client()
    counter = iter(range(10**9))

    def scan():
        body = {"secret": next(secrets), "gate": "Gate 1", "nonce": uuid.uuid4().hex}
        answer = door.post(f"/api/v1/events/{event_id}/checkins", json=body, headers={"X-CSRFToken": door_token})
        assert answer.status_code == 200 and answer.json["result"] == "ok", answer.data

    def register():
        n = next(counter)
        form = {
            "csrf_token": form_token, "checkout_token": uuid.uuid4().hex, f"qty-{seeded['product_id']}": "1",
            "buyer_name": f"Buyer {n}", "buyer_email": f"buyer{n}@example.org",
        }  # fmt: skip
        answer = buyer.post("/e/bench/launch/register", data=form)
        assert answer.status_code == 303, answer.status_code

    def landing():
        assert visitor.get("/e/bench/launch").status_code == 200

    return {"door scan": scan, "registration": register, "landing page": landing}


def measure(name: str, request, repeat: int, show: bool, profile: bool = False) -> dict:
    for _ in range(10):  # warm-up: prepared statements compiled, pools filled, templates loaded
        request()
    profiler = cProfile.Profile() if profile else None
    trips, db_time, total, cpu, executor = 0, 0.0, 0.0, 0.0, 0.0
    kinds: Counter = Counter()
    triggers: Counter = Counter()
    for n in range(repeat):
        with counted() as (statements, plans):
            if profiler:
                profiler.enable()
            start, start_cpu = time.perf_counter(), time.process_time()
            request()
            total += time.perf_counter() - start
            if profiler:
                profiler.disable()
            cpu += time.process_time() - start_cpu
        trips += len(statements)
        db_time += sum(seconds for _, seconds in statements)
        kinds.update(sql.split(None, 1)[0].upper() for sql, _ in statements)
        executor += sum(plan["ms"] for plan in plans)
        for plan in plans:
            triggers.update(plan["triggers"])
        if show and n == 0:
            print(f"\n{name}: the statements of one request")
            for sql, seconds in statements:
                print(f"  {seconds * 1000:6.2f} ms  {' '.join(sql.split())[:150]}")
    if profiler:
        print_profile(profiler, cumulative=30, title=f"{name} (cProfile, {repeat} requests)")
    return {
        "round trips": trips / repeat,
        "database ms": db_time / repeat * 1000,
        "request ms": total / repeat * 1000,
        "python ms": (total - db_time) / repeat * 1000,
        "cpu ms": cpu / repeat * 1000,
        "kinds": {k: v / repeat for k, v in kinds.most_common()},
        "executor ms": executor / repeat,
        "triggers ms": {trigger: ms / repeat for trigger, ms in triggers.most_common()},
    }


def print_plans(results: dict) -> None:
    """`--plans`: each kind's executor time a request, and the share its triggers took."""
    print("\nThe server's executor, a request (auto_explain, timing on: read the shares)")
    for name, r in results.items():
        spent = r["executor ms"]
        if not spent:
            print(f"  {name}: no statement planned")
            continue
        in_triggers = sum(r["triggers ms"].values())
        print(f"  {name}: {spent:.3f} ms, of which triggers {in_triggers:.3f} ms ({in_triggers / spent:.0%})")
        for trigger, ms in r["triggers ms"].items():
            print(f"    {ms:7.3f} ms  {trigger}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=DEFAULT_POSTGRES)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--show", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--plans", action="store_true", help="the executor's time and its triggers' (auto_explain)")
    args = parser.parse_args(argv if argv is not None else [])
    if label(args.db) != "PostgreSQL":
        raise SystemExit("bench.statements counts PostgreSQL's round trips: give a postgresql:// URL")
    with scratch_postgres(args.db) as url, tempfile.TemporaryDirectory() as tmp:
        app = build_app(url, Path(tmp), plans=args.plans)
        seeded = seed(app)
        made = requests(app, seeded, args.repeat)
        results = {name: measure(name, request, args.repeat, args.show, args.profile) for name, request in made.items()}
        db.obj.close_all()
    print(f"\nPostgreSQL on {urlsplit(args.db).hostname}, in-process, mean of {args.repeat} requests each")
    print(f"{'':14}{'round trips':>12}{'database ms':>13}{'python ms':>11}{'request ms':>12}{'CPU ms':>8}   statements")
    for name, r in results.items():
        kinds = ", ".join(f"{k} {v:g}" for k, v in r["kinds"].items())
        print(
            f"{name:14}{r['round trips']:>12.1f}{r['database ms']:>13.2f}{r['python ms']:>11.2f}"
            f"{r['request ms']:>12.2f}{r['cpu ms']:>8.2f}   {kinds}"
        )
    if args.plans:
        print_plans(results)


if __name__ == "__main__":
    main(sys.argv[1:])
