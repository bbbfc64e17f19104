"""Segment speed at 100,000 contacts (targets: count p99 under 200 ms, the editor's live count
over HTTP p99 under 300 ms, the first page of members p99 under 150 ms).

    python -m bench.segments [--database sqlite|postgresql://user@host/db] [--runs 100]

Seeds 100,000 contacts (custom fields, about 2 of 30 labels each), 50 events with 200,000
registrants (40% checked in) and 1,000,000 tracked events over the last year, with bulk inserts,
in a fresh database (SQLite file, or a new PostgreSQL database next to the one named). Then times,
one after the other:
- counting a segment of 3 nested groups and 6 conditions (labels, attended, a tracked event within
  30 days, a custom field, a label left out, a funnel stage) in this process;
- the first page (50) of its members, in this process;
- the editor's live count as it asks for it: POST /api/v1/segments/preview (count and a sample of
  ten) over HTTP against gunicorn, with an API key.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import sys
import time
import uuid

from bench.common import Client, Instance, Timings, timed
from webapp.db.scratch import scratch_database

CONTACTS, REGISTRANTS, EVENTS, LABELS, TRACKED = 100_000, 200_000, 50, 30, 1_000_000
BATCH = 2000
CITIES = ["Jakarta", "Bandung", "Surabaya", "Medan", "Denpasar", "Yogyakarta", "Makassar", "Semarang"]
STAGES = ["aware", "engaged", "customer", "loyal_customer", "promoter", "lost"]
TYPES = ["signup", "purchase", "core_activity", "referral", "feature_used", "support_ticket", "cart", "re_engagement"]


def seed(contacts: int = CONTACTS, registrants: int = REGISTRANTS, tracked: int = TRACKED) -> dict:
    """Runs inside the app context of the instance; returns the ids the timed segment uses."""
    from psycopg2.extras import execute_values

    from webapp.accounts import api_keys
    from webapp.accounts import service as accounts
    from webapp.catalog.models import Product
    from webapp.contacts.ingest_models import IncomingEvent
    from webapp.contacts.models import Contact, ContactLabel, Label
    from webapp.db import db, is_postgres, utcnow
    from webapp.events.models import Event
    from webapp.orders.models import Order, Registrant

    rng = random.Random(7)
    now = utcnow()
    user = accounts.create_user("bench@example.org", "Bench Operator", "correct horse battery")
    org = accounts.create_organization("Bench Org", user)
    _, token = api_keys.create_key(org, "bench", read_only=True)
    labels = [Label.create(organization=org.id, name=f"Label {i}") for i in range(LABELS)]
    events = []
    for i in range(EVENTS):
        start = now + dt.timedelta(days=rng.randint(-400, 60))
        tags = [rng.choice(["workshop", "summit", "meetup"])]
        events.append(
            Event.create(
                organization=org.id,
                slug=f"e{i}",
                name=f"Event {i}",
                starts_at=start,
                ends_at=start + dt.timedelta(hours=8),
                status="published",
                tags=tags,
            )
        )
    products = {e.id: Product.create(organization=org.id, event=e.id, name="Ticket", currency="IDR").id for e in events}

    def bulk(model, rows):
        """executemany of plain tuples (peewee's insert_many renders every value into the SQL)."""
        if not rows:
            return
        defaults = {
            f.name: f.default() if callable(f.default) else f.default
            for f in model._meta.sorted_fields
            if f.default is not None and f.name not in rows[0]
        }
        rows = [{**defaults, **row} for row in rows]
        fields = [model._meta.fields[name] for name in rows[0]]
        columns = ", ".join(f'"{f.column_name}"' for f in fields)
        params = [tuple(f.db_value(row[f.name]) for f in fields) for row in rows]
        table = model._meta.table_name
        with db.atomic():
            if is_postgres():
                execute_values(db.cursor(), f'INSERT INTO "{table}" ({columns}) VALUES %s', params, page_size=BATCH)
            else:
                marks = ", ".join("?" for _ in fields)
                db.cursor().executemany(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', params)

    started = time.perf_counter()
    for base in range(0, contacts, 20_000):
        rows = []
        for i in range(base, min(base + 20_000, contacts)):
            custom = {"city": rng.choice(CITIES), "level": rng.randint(1, 10)}
            created = now - dt.timedelta(minutes=rng.randint(0, 2 * 365 * 24 * 60))
            rows.append(
                dict(
                    organization=org.id,
                    email=f"person{i}@domain{i % 40}.test",
                    name=f"Person {i}",
                    custom=custom,
                    status="active",
                    stage=rng.choice(STAGES),
                    unsubscribe_token=f"u{i}",
                    created_at=created,
                    updated_at=created,
                    source="registration",
                )
            )
        bulk(Contact, rows)
    first_id = Contact.select(Contact.id).where(Contact.organization == org.id).order_by(Contact.id).scalar()
    ids = range(first_id, first_id + contacts)
    rows = []
    for contact_id in ids:
        for label in rng.sample(labels, rng.choice([0, 1, 2, 2, 3, 4])):
            rows.append(dict(organization=org.id, contact=contact_id, label=label.id, created_at=now))
    bulk(ContactLabel, rows)
    for base in range(0, registrants, 20_000):
        orders, people = [], []
        for i in range(base, min(base + 20_000, registrants)):
            event = events[i % EVENTS]
            status = rng.choices(["paid", "pending", "canceled"], [90, 5, 5])[0]
            orders.append(
                dict(
                    id=i + 1,
                    organization=org.id,
                    event=event.id,
                    code=f"B{i:07d}",
                    secret=f"s{i}",
                    status=status,
                    buyer_name="Buyer",
                    buyer_email="buyer@example.org",
                    currency="IDR",
                    created_at=now,
                    updated_at=now,
                )
            )
            people.append(
                dict(
                    organization=org.id,
                    event=event.id,
                    order=i + 1,
                    product=products[event.id],
                    name="Person",
                    email="p@example.org",
                    ticket_secret=f"t{i}",
                    created_at=now,
                    updated_at=now,
                    canceled=status == "canceled",
                    contact=rng.choice(ids),
                    checked_in_at=event.starts_at if rng.random() < 0.4 else None,
                )
            )
        bulk(Order, orders)
        bulk(Registrant, people)
    if is_postgres():
        db.execute_sql("SELECT setval('order_id_seq', (SELECT max(id) FROM \"order\"))")
    for base in range(0, tracked, 50_000):
        rows = []
        for _ in range(base, min(base + 50_000, tracked)):
            rows.append(
                dict(
                    organization=org.id,
                    type=rng.choice(TYPES),
                    occurred_at=now - dt.timedelta(minutes=rng.randint(0, 525_600)),
                    properties={"plan": rng.choice(["free", "pro", "team"])},
                    status="processed",
                    contact_id=rng.choice(ids),
                    received_at=now,
                )
            )
        bulk(IncomingEvent, rows)
    db.execute_sql("ANALYZE")
    print(f"seeded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return {"org": org.id, "token": token, "labels": [label.id for label in labels]}


def segment_tree(labels: list[int]) -> dict:
    """3 nested groups, 6 conditions."""

    def cond(dimension, operator, value=None, **keys):
        return {"type": "condition", "dimension": dimension, "operator": operator, "value": value, **keys}

    return {
        "type": "group",
        "join": "and",
        "children": [
            cond("labels", "any_of", labels[:3]),
            {
                "type": "group",
                "join": "or",
                "children": [
                    cond("attended", "exists"),
                    cond("tracked", "at_least", 1, event_type="purchase", days=30),
                ],
            },
            {
                "type": "group",
                "join": "and",
                "children": [
                    cond("custom_field", "equals", "jakarta", field="city"),
                    {
                        "type": "group",
                        "join": "or",
                        "negate": True,
                        "children": [cond("labels", "any_of", [labels[3]]), cond("stage", "equals", "lost")],
                    },
                ],
            },
        ],
    }


MEASURE = """
import json, time
from bench.segments import segment_tree
from webapp.segments import query
from webapp.segments.tree import validate
seeded = json.loads({seeded!r})
tree = validate(seeded["org"], segment_tree(seeded["labels"]))
out = {{"count": [], "page": []}}
for _ in range(5):
    members = query.count(seeded["org"], tree)
cpu = time.process_time()
for _ in range({runs}):
    start = time.perf_counter(); query.count(seeded["org"], tree); out["count"].append(time.perf_counter() - start)
out["count_cpu"] = (time.process_time() - cpu) / {runs}
cpu = time.process_time()
for _ in range({runs}):
    start = time.perf_counter(); query.page(seeded["org"], tree, limit=50); out["page"].append(time.perf_counter() - start)
out["page_cpu"] = (time.process_time() - cpu) / {runs}
out["members"] = members
print(json.dumps(out))
"""


def run(database: str, runs: int) -> None:
    extra = {}
    with contextlib.ExitStack() as scratch:
        if database.startswith("postgresql://"):
            name = f"rollcall_bench_segments_{uuid.uuid4().hex[:6]}"
            extra["DATABASE_URL"] = scratch.enter_context(scratch_database(database, name))
        with Instance.create(**extra) as instance:
            kind = "PostgreSQL" if extra else "SQLite"
            print(
                f"[{kind}] seeding {CONTACTS:,} contacts, {REGISTRANTS:,} registrants, {TRACKED:,} tracked events…",
                flush=True,
            )
            seeded = instance.python("import json\nfrom bench.segments import seed\nprint(json.dumps(seed()))").strip()
            figures = json.loads(instance.python(MEASURE.format(seeded=seeded.splitlines()[-1], runs=runs)))
            print(f"[{kind}] the segment holds {figures['members']:,} contacts", flush=True)
            for label, key in (("count (3 nested groups, 6 conditions)", "count"), ("first page of members", "page")):
                report = Timings(seconds=figures[key], wall=sum(figures[key])).report(label)
                print(f"[{kind}] {report}; this process's CPU {figures[key + '_cpu'] * 1000:.1f} ms each", flush=True)
            token = json.loads(seeded.splitlines()[-1])["token"]
            labels = json.loads(seeded.splitlines()[-1])["labels"]
            with instance.gunicorn() as url:
                _live_count(instance, url, token, segment_tree(labels), runs, kind)
            print(
                f"[{kind}] load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True
            )


def _live_count(instance: Instance, url: str, token: str, tree: dict, runs: int, kind: str) -> None:
    client = Client(url)
    headers = {"Authorization": f"Bearer {token}"}
    body = {"tree": tree}

    def call() -> bool:
        status, _, _ = client.request("POST", "/api/v1/segments/preview", json_body=body, headers=headers)
        return status == 200

    for _ in range(5):
        call()
    timings = Timings()
    cpu = instance.server_cpu()
    start = time.perf_counter()
    for _ in range(runs):
        timed(timings, call)
    timings.wall = time.perf_counter() - start
    server_cpu = (instance.server_cpu() - cpu) / runs * 1000
    report = timings.report("live count over HTTP (POST /api/v1/segments/preview, count + 10)")
    print(f"[{kind}] {report}; server CPU {server_cpu:.1f} ms each", flush=True)


def run_each_database(run_one, argv: list[str] | None = None) -> None:
    """`run_one(database, runs)` on the --database given (and on BENCH_POSTGRES_URL too when that is
    set and the database is SQLite)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="sqlite", help="sqlite, or a postgresql:// URL (a new database is made)")
    parser.add_argument("--runs", type=int, default=100)
    args, _ = parser.parse_known_args(argv if argv is not None else sys.argv[1:])
    databases = [args.database]
    if args.database == "sqlite" and os.environ.get("BENCH_POSTGRES_URL"):
        databases.append(os.environ["BENCH_POSTGRES_URL"])
    for database in databases:
        run_one(database, args.runs)


def main(argv: list[str] | None = None) -> None:
    run_each_database(run, argv)


if __name__ == "__main__":
    main()
