"""A project's combined figures over many events (registered, checked in, revenue per currency).

    python -m bench.projects [--events 10] [--registrants 100000] [--runs 20]

Seeds one project over `events` events (IDR and USD alternately) sharing `registrants` paid or
pending orders of one ticket each in a fresh SQLite database, then times `figures.figures(project)`
(the project page's numbers) and the first page of participants, in process, and prints the
median and the slowest run.
"""

from __future__ import annotations

import argparse
import json

from bench.common import Instance

SEED_AND_TIME = """
import datetime as dt, json, random, statistics, time
from webapp.accounts import service as accounts
from webapp.catalog.models import Product
from webapp.db import db, utcnow
from webapp.events.models import Event
from webapp.orders.models import Order, Registrant
from webapp.projects import figures, service
random.seed(7)
user = accounts.create_user("bench@example.org", "Bench Operator", "correct horse battery")
org = accounts.create_organization("Bench Org", user)
start = utcnow() + dt.timedelta(days=30)
events, products = [], []
for n in range({events}):
    currency = "IDR" if n % 2 == 0 else "USD"
    event = Event.create(organization=org, slug=f"day-{{n}}", name=f"Day {{n}}", starts_at=start, currency=currency,
                         ends_at=start + dt.timedelta(hours=8), status="published")
    events.append(event)
    products.append(Product.create(organization=org, event=event, name="Pass", currency=currency, price=1000))
project = service.create(org.id, "Bench Summit", actor=user)
for event in events:
    service.link_event(project, event.id, actor=user)
N, now = {registrants}, utcnow()
with db.atomic():
    for base in range(0, N, 2000):
        orders, people = [], []
        for i in range(base, min(base + 2000, N)):
            k = i % len(events)
            status = "paid" if random.random() < 0.9 else "pending"
            orders.append(dict(id=i + 1, organization=org.id, event=events[k].id, code=f"B{{i:07d}}", secret=f"s{{i}}",
                               status=status, buyer_name=f"P {{i}}", buyer_email=f"p{{i}}@example.org",
                               currency=events[k].currency, subtotal=1000, total=1000, created_at=now, updated_at=now))
            people.append(dict(organization=org.id, event=events[k].id, order=i + 1, product=products[k].id,
                               name=f"P {{i}}", email=f"p{{i}}@example.org", ticket_secret=f"t{{i}}", created_at=now,
                               updated_at=now, checked_in_at=now if random.random() < 0.4 else None))
        Order.insert_many(orders).execute()
        Registrant.insert_many(people).execute()
db.execute_sql("ANALYZE")
def timed(fn):
    runs = []
    for _ in range({runs}):
        t = time.perf_counter(); fn(); runs.append((time.perf_counter() - t) * 1000)
    return statistics.median(runs), max(runs)
result = figures.figures(project)
print(json.dumps({{
    "registered": result.registered, "revenue": result.revenue,
    "figures_ms": timed(lambda: figures.figures(project)),
    "participants_ms": timed(lambda: figures.participants(project, limit=500)),
}}))
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10)
    parser.add_argument("--registrants", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv or [])
    with Instance.create() as instance:
        out = instance.python(SEED_AND_TIME.format(events=args.events, registrants=args.registrants, runs=args.runs))
    figures = json.loads(out.strip().splitlines()[-1])
    print(f"project over {args.events} events, {args.registrants:,} registrants (SQLite)")
    print(f"  registered {figures['registered']:,}; revenue per currency {figures['revenue']}")
    print("  project figures:        median {:.1f} ms, slowest {:.1f} ms".format(*figures["figures_ms"]))
    print("  participants (500 rows): median {:.1f} ms, slowest {:.1f} ms".format(*figures["participants_ms"]))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
