"""Payment notifications under load: gunicorn + SQLite receiving signed gateway notifications
(the test gateway's, through the same code path as Midtrans' and Stripe's), every one sent twice at
the same moment by two clients, as gateways do when they retry.

    python -m bench.payments [--orders 1000] [--clients 16] [--workers N] [--threads N]

Prints notifications per second, p50 and p99 latency, the outcomes logged, and double
confirmations (orders confirmed paid more than once; must be 0) and orders left unpaid (must be 0).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Client, Instance, Timings, run_concurrently, timed  # noqa: E402

SEED = """
import json
from webapp.accounts import service as accounts
from webapp.catalog import groups as catalog_groups
from webapp.catalog.models import Product
from webapp.db import db, utcnow
from webapp.events.models import Event
from webapp.orders.models import Order, OrderItem, Registrant
from webapp.payments import gateway_settings, service
from webapp.payments.gateways.simulated import gateway as test_gateway
from webapp.orders.ticket_secrets import new_ticket_secret
import datetime as dt, secrets
owner = accounts.create_user("bench@example.org", "Bench", "bench-password-123")
org = accounts.create_organization("Bench Org", owner)
gateway_settings.save_gateway(org.id, "test", enabled=True, mode="sandbox", new_secrets={{}}, actor=None)
start = utcnow() + dt.timedelta(days=7)
event = Event.create(organization=org, slug="bench", name="Bench Conf", starts_at=start, ends_at=start + dt.timedelta(hours=8), status="published")
catalog_groups.create_default_group(event)  # as every event gets it when made (events.service)
product = Product.create(organization=org, event=event, name="Pass", currency="IDR", price=150000)
out = []
for n in range({orders}):
    with db.atomic():
        order = Order.create(organization=org, event=event, code=f"B{{n:07d}}", secret=secrets.token_hex(16), status="pending",
                             buyer_name=f"Guest {{n}}", buyer_email=f"guest{{n}}@example.org", currency="IDR",
                             subtotal=150000, total=150000, expires_at=utcnow() + dt.timedelta(hours=2))
        item = OrderItem.create(organization=org, order=order, product=product, price=150000)
        Registrant.create(organization=org, event=event, order=order, product=product, item=item, name=f"Guest {{n}}",
                          email=f"guest{{n}}@example.org", ticket_secret=new_ticket_secret())
    service.start_payment(order, "test")
    body, headers = test_gateway.notification(order.payments.get(), "pay")
    out.append([body.decode(), headers["X-Rollcall-Signature"]])
print(json.dumps({{"org_id": org.id, "notifications": out}}))
"""

COUNT = """
import json
import peewee as pw
from webapp.accounts.audit import AuditEntry
from webapp.orders.models import Order
from webapp.payments.models import PaymentNotification
outcomes = dict(PaymentNotification.select(PaymentNotification.outcome, pw.fn.COUNT(PaymentNotification.id)).group_by(PaymentNotification.outcome).tuples())
doubles = (AuditEntry.select(AuditEntry.target_id).where(AuditEntry.action == "order.paid")
           .group_by(AuditEntry.target_id).having(pw.fn.COUNT(AuditEntry.id) > 1).count())
unpaid = Order.select().where(Order.status != "paid").count()
print(json.dumps({"outcomes": outcomes, "doubles": doubles, "unpaid": unpaid}))
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16, help="an even number: clients work in pairs")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: the Procfile's)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: the Procfile's)")
    args = parser.parse_args(argv or [])
    pairs = max(args.clients // 2, 1)

    with Instance.create() as instance:
        seeded = json.loads(instance.python(SEED.format(orders=args.orders)).strip().splitlines()[-1])
        path = f"/payments/test/notify/{seeded['org_id']}"
        notifications = seeded["notifications"]
        with instance.gunicorn(args.workers, args.threads) as base_url:
            server = instance.server_shape

            def work(index: int, timings: Timings) -> None:
                client = Client(base_url)
                for body, signature in notifications[index // 2 :: pairs]:  # both of a pair send the same ones
                    headers = {"Content-Type": "application/json", "X-Rollcall-Signature": signature}

                    def send(body=body, headers=headers) -> bool:
                        # The exact bytes that were signed, as a gateway sends them.
                        client.conn.request("POST", path, body=body.encode(), headers=headers)
                        response = client.conn.getresponse()
                        response.read()
                        return response.status == 200

                    timed(timings, send)

            timings = run_concurrently(pairs * 2, work)
        counts = json.loads(instance.python(COUNT).strip().splitlines()[-1])

    print(timings.report(f"notifications (gunicorn {server}, {pairs * 2} clients)"))
    print(f"outcomes logged: {counts['outcomes']}")
    print(f"double confirmations: {counts['doubles']} (must be 0); orders left unpaid: {counts['unpaid']} (must be 0)")


if __name__ == "__main__":
    main(sys.argv[1:])
