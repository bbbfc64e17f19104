"""Registrant list latency at 100,000 registrants (target: p99 under 150 ms).

    python -m bench.console_list [--registrants 100000] [--requests 200]

Seeds one event with 100,000 registrants (one order each) in a fresh SQLite database, serves the
app with gunicorn as the Procfile does, signs in, then times three list requests one after the
other, as htmx sends them: the first page, a search, and a filtered page deep in the list (keyset
cursor half-way through, sorted by name).
"""

from __future__ import annotations

import argparse
import re
import sys
from urllib.parse import urlencode

from bench.common import Client, Instance, Timings, timed

SEED = """
import datetime as dt, random
from webapp.accounts import service as accounts
from webapp.catalog.models import Product
from webapp.registrants import listing
from webapp.db import db, utcnow
from webapp.events.models import Event
from webapp.orders.models import Order, Registrant
random.seed(7)
user = accounts.create_user("bench@example.org", "Bench Operator", "correct horse battery")
org = accounts.create_organization("Bench Org", user)
start = utcnow() + dt.timedelta(days=30)
event = Event.create(organization=org, slug="bench", name="Bench Conference", starts_at=start,
                     ends_at=start + dt.timedelta(hours=8), status="published")
products = [Product.create(organization=org, event=event, name=n, currency=event.currency) for n in ("Regular", "VIP")]
first = ["Ana", "Budi", "Citra", "Dewi", "Eko", "Fajar", "Gita", "Hadi", "Indah", "Joko", "Kartika", "Lina"]
last = ["Lopez", "Santoso", "Wijaya", "Pratama", "Smith", "Tanaka", "Nguyen", "Kusuma", "Garcia", "Putri"]
now = utcnow()
N = {n}
with db.atomic():
    for base in range(0, N, 2000):
        orders, people = [], []
        for i in range(base, min(base + 2000, N)):
            status = random.choices(["paid", "pending", "canceled"], [90, 5, 5])[0]
            name = f"{random.choice(first)} {random.choice(last)} {i}"
            email = f"person{i}@example.org"
            created = now - dt.timedelta(minutes=N - i)
            orders.append(dict(id=i + 1, organization=org.id, event=event.id, code=f"B{i:07d}", secret=f"s{i}",
                               status=status, buyer_name=name, buyer_email=email, currency="IDR",
                               created_at=created, updated_at=created))
            people.append(dict(organization=org.id, event=event.id, order=i + 1, product=products[i % 7 == 0].id,
                               name=name, email=email, ticket_secret=f"t{i}", created_at=created, updated_at=created,
                               canceled=status == "canceled",
                               checked_in_at=created if random.random() < 0.3 else None))
        Order.insert_many(orders).execute()
        Registrant.insert_many(people).execute()
db.execute_sql("ANALYZE")
rows = list(Registrant.select(Registrant.id, Registrant.name).where(Registrant.event == event.id)
            .order_by(Registrant.name, Registrant.id).offset(N // 2).limit(1))
print(event.id, listing._encode([rows[0].name, rows[0].id]))
"""


def login(client: Client) -> None:
    status, body, _ = client.request("GET", "/login")
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body) or re.search(
        rb'name="csrf-token" content="([^"]+)"', body
    )
    cookie = _cookie(_)
    client.headers["Cookie"] = cookie
    form = {"email": "bench@example.org", "password": "correct horse battery", "csrf_token": token.group(1).decode()}
    status, body, response = client.request("POST", "/login", form=form)
    if status != 302:
        raise RuntimeError(f"login failed: {status} {body[:300]!r}")
    client.headers["Cookie"] = _cookie(response) or cookie
    client.request("GET", "/console/")


def _cookie(response) -> str:
    values = response.headers.get_all("Set-Cookie") or []
    return "; ".join(v.split(";", 1)[0] for v in values)


def measure(client: Client, label: str, path: str, requests: int, expect: bytes) -> None:
    timings = Timings()
    headers = {"HX-Request": "true", "HX-Target": "registrant-results"}

    def call() -> bool:
        status, body, _ = client.request("GET", path, headers=headers)
        return status == 200 and expect in body

    for _ in range(5):  # warm the caches and the connection
        call()
    import time

    start = time.perf_counter()
    for _ in range(requests):
        timed(timings, call)
    timings.wall = time.perf_counter() - start
    print(timings.report(label), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--registrants", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args, _ = parser.parse_known_args(argv if argv is not None else sys.argv[1:])
    with Instance.create() as instance:
        print(f"seeding {args.registrants:,} registrants…", flush=True)
        event_id, cursor = instance.python(SEED.replace("{n}", str(args.registrants))).split()
        base = f"/console/events/{event_id}/registrants"
        with instance.gunicorn() as url:
            client = Client(url)
            login(client)
            measure(client, "first page", base, args.requests, b"registrant")
            measure(client, "search 'lopez 4'", f"{base}?{urlencode({'q': 'lopez 4'})}", args.requests, b"Lopez")
            # A deep page as its paging link asks for it: the total counted for page 1 rides along.
            _, first, _ = client.request("GET", f"{base}?status=paid&sort=name", headers={"HX-Request": "true"})
            total = re.search(rb"[?&;]n=([0-9]+(?:%2B)?)", first).group(1).decode().replace("%2B", "+")
            deep = f"{base}?{urlencode({'status': 'paid', 'sort': 'name', 'after': cursor, 'n': total})}"
            measure(client, "filtered deep page (paid, by name, row 50,000)", deep, args.requests, b"registrant")


if __name__ == "__main__":
    main()
