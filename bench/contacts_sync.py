"""Contact Book at bulk. Sync: 20,000 registrants (16,000 people, 4,000 of them at both of two
events, half the orders paid) in a fresh SQLite database, then the seconds until every registrant
is a contact — once through the batched service call, once as a worker drains the 20,000
registration tasks the orders announced. Target: under 30 s on 2 cores. Then the console list's
queries (filter, keyset page, count; no HTML rendering) at 100,000 contacts.

    python -m bench.contacts_sync [registrants]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

REGISTRANTS = 20_000


def _setup(tmp: str) -> None:
    os.environ.update(
        ROLLCALL_ENV="production",
        INSTANCE_DIR=tmp,
        DATABASE_URL=f"sqlite:///{tmp}/rollcall.db",
        HUEY_URL="memory://",
        SECRET_KEY="bench-secret-key-0123456789abcdef",
    )
    from webapp import migrate
    from webapp.db import db, make_database

    database = make_database(os.environ["DATABASE_URL"])
    db.initialize(database)
    db.connect()
    migrate.upgrade(database)


def _populate(count: int) -> tuple[int, list[int]]:
    """Orders of one registrant each; returns (organization id, order ids)."""
    from webapp.accounts.models import Organization
    from webapp.catalog.models import Product, Question
    from webapp.db import db, utcnow
    from webapp.events.models import Event
    from webapp.orders.models import Order, Registrant
    from webapp.orders.ticket_secrets import new_ticket_secret

    now = utcnow()
    org = Organization.create(name="Bench", slug="bench")
    events, products, questions = [], [], []
    for n in range(2):
        event = Event.create(organization=org, slug=f"e{n}", name=f"Event {n}", starts_at=now, ends_at=now)
        events.append(event)
        products.append(Product.create(organization=org, event=event, name="Ticket", price=100_000, currency="IDR"))
        questions.append(
            (
                Question.create(
                    organization=org, event=event, label="Phone", kind="phone", per_attendee=True, contact_field="phone"
                ),
                Question.create(
                    organization=org,
                    event=event,
                    label="City",
                    kind="text",
                    per_attendee=True,
                    contact_field="custom:city",
                ),
            )
        )
    half = count // 2
    people = [list(range(0, half)), list(range(int(half * 0.6), int(half * 0.6) + half))]  # 20 % overlap of people
    with db.atomic():
        for e, persons in enumerate(people):
            event, product, (phone_q, city_q) = events[e], products[e], questions[e]
            for start in range(0, len(persons), 500):
                chunk = persons[start : start + 500]
                orders = [
                    {
                        "organization": org.id,
                        "event": event.id,
                        "code": f"B{e}{p:07d}",
                        "secret": f"s{e}-{p}",
                        "status": "paid",
                        "buyer_name": f"Person {p}",
                        "buyer_email": f"person{p}@example.org",
                        "currency": "IDR",
                        "subtotal": 100_000 if p % 2 else 0,
                        "total": 100_000 if p % 2 else 0,
                        "paid_at": now,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for p in chunk
                ]
                Order.insert_many(orders).execute()
                ids = dict(
                    Order.select(Order.code, Order.id).where(Order.code.in_([o["code"] for o in orders])).tuples()
                )
                Registrant.insert_many(
                    [
                        {
                            "organization": org.id,
                            "event": event.id,
                            "order": ids[f"B{e}{p:07d}"],
                            "product": product.id,
                            "name": f"Person {p}",
                            "email": f"Person{p}@Example.org",
                            "answers": {str(phone_q.id): f"+62 811 {p:06d}", str(city_q.id): "Jakarta"},
                            "ticket_secret": new_ticket_secret(),
                            "created_at": now,
                            "updated_at": now,
                        }
                        for p in chunk
                    ]
                ).execute()
    order_ids = [o for (o,) in Order.select(Order.id).order_by(Order.id).tuples()]
    return org.id, order_ids


def _reset() -> None:
    from webapp.contacts.models import Activity, Contact
    from webapp.db import db
    from webapp.orders.models import Registrant

    with db.atomic():
        Registrant.update(contact=None).execute()
        Activity.delete().execute()
        Contact.delete().execute()


def _counts() -> tuple[int, int, int]:
    from webapp.contacts.models import Activity, Contact
    from webapp.orders.models import Registrant

    return (
        Registrant.select().where(Registrant.contact.is_null()).count(),
        Contact.select().count(),
        Activity.select().count(),
    )


def main(count: int = REGISTRANTS) -> None:
    with tempfile.TemporaryDirectory(prefix="rollcall-bench-contacts-") as tmp:
        _setup(tmp)
        from tasks.contacts import sync_new_registrants
        from webapp.orders import contact_sync as sync
        from webapp.orders.models import Registrant

        started = time.perf_counter()
        org_id, order_ids = _populate(count)
        print(f"created {len(order_ids):,} registrants in {time.perf_counter() - started:.1f} s")

        ids = [r for (r,) in Registrant.select(Registrant.id).tuples()]
        started = time.perf_counter()
        sync.sync_registrants(ids)
        batched = time.perf_counter() - started
        pending, contacts, activities = _counts()
        print(
            f"sync_registrants({len(ids):,} ids): {batched:.1f} s "
            f"({len(ids) / batched:,.0f} registrants/s) -> {contacts:,} contacts, {activities:,} activities, "
            f"{pending} left without a contact"
        )

        _reset()
        started = time.perf_counter()
        all_contacts_at = None
        for n, order_id in enumerate(order_ids, start=1):
            sync_new_registrants({"order_id": order_id})  # what a worker does with each work item
            if all_contacts_at is None and (n == 1 or n % 1000 == 0) and _counts()[0] == 0:
                all_contacts_at = time.perf_counter() - started
        drained = time.perf_counter() - started
        pending, contacts, _ = _counts()
        print(
            f"worker draining {len(order_ids):,} registration tasks: every registrant a contact after "
            f"{all_contacts_at:.1f} s, queue drained after {drained:.1f} s ({pending} left, {contacts:,} contacts)"
        )
        print("target: under 30 s on 2 cores (figures measured on a shared machine are pessimistic)")
        _list_latency(org_id)


def _list_latency(org_id: int, total: int = 100_000) -> None:
    import statistics

    from werkzeug.datastructures import MultiDict

    from webapp.contacts import bulk, queries, rules
    from webapp.contacts.models import Contact, ContactLabel, Label
    from webapp.db import db, utcnow

    now = utcnow()
    have = Contact.select().count()
    with db.atomic():
        for start in range(have, total, 5000):
            rows = [
                {
                    "organization": org_id,
                    "email": f"lead{n}@example.net",
                    "name": f"Lead {n}",
                    "phone": "",
                    "company": "",
                    "custom": {},
                    "user_id": None,
                    "status": "active",
                    "stage": ("aware", "engaged", "customer")[n % 3],
                    "stage_source": "default",
                    "unsubscribe_token": rules.new_unsubscribe_token(),
                    "created_at": now,
                    "updated_at": now,
                    "last_activity_at": None,
                }
                for n in range(start, min(start + 5000, total))
            ]
            bulk.insert_ignore(Contact, rows)
        label = Label.create(organization=org_id, name="Bench")
        ids = [c for (c,) in Contact.select(Contact.id).where(Contact.id % 10 == 0).tuples()]
        bulk.insert_ignore(
            ContactLabel, [{"organization": org_id, "contact": c, "label": label.id, "created_at": now} for c in ids]
        )
    middle = Contact.select(Contact.id).order_by(Contact.id).offset(total // 2).scalar()
    cases = {
        "first page": ({}, None),
        "page in the middle": ({}, middle),
        "search 'lead 4242'": ({"q": "lead 4242"}, None),
        "label filter": ({"label": str(label.id)}, None),
        "stage filter, deep page": ({"stage": "customer"}, middle),
    }
    print(f"console list queries at {Contact.select().count():,} contacts (filter, keyset page, count; no rendering):")
    for name, (args, after) in cases.items():
        f = queries.ContactFilter.from_args(MultiDict(args))
        timings = []
        for _ in range(30):
            t = time.perf_counter()
            query = queries.filtered(org_id, f)
            queries.count(query, queries.page(query, after=after), paging=bool(after))
            timings.append((time.perf_counter() - t) * 1000)
        timings.sort()
        print(f"  {name}: p50 {statistics.median(timings):.1f} ms, p99 {timings[int(len(timings) * 0.99) - 1]:.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else REGISTRANTS)
