"""The click redirect of tracked mail (target: 2,000 redirects/s or more on 2 cores).

    python -m bench.click_redirect [--clients 16] [--requests 20000] [--messages 2000] [--db URL ...]

Seeds campaign messages handed over an hour ago and a signed click link for each (two links a
message), then has concurrent clients follow them from gunicorn as the Procfile runs it, as a
person's browser would (a browser's user agent, a new visit each time, kept-alive connections).
Each hit is recorded (a person's first click on a link of a message: an engagement row, its
timeline entry and webhook, done by the worker after the answer). Prints the rate, p50/p99, the
server's CPU per redirect, and the load average (the load generator shares the CPUs).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from bench.common import Instance, LeanClient, Timings, run_concurrently, timed
from bench.servers import Figures, add_database_options, run_on_each

SEED = """
import datetime as dt, json
from webapp.accounts import service as accounts
from webapp.contacts.models import Contact
from webapp.db import db, utcnow
from webapp.mail import tracking
from webapp.mail.models import Outbox
now = utcnow()
user = accounts.create_user("clicks@example.org", "Bench Operator", "correct horse battery")
org = accounts.create_organization("Click Org", user, timezone="Asia/Jakarta")
with db.atomic():
    Contact.insert_many([dict(organization=org.id, email=f"p{{i}}@example.test", name=f"P{{i}}", status="active",
                              unsubscribe_token=f"u{{i}}", created_at=now, updated_at=now) for i in range({n})]).execute()
    contacts = [c.id for c in Contact.select(Contact.id).where(Contact.organization == org.id).order_by(Contact.id)]
    Outbox.insert_many([dict(organization=org.id, message_id=f"<m{{i}}@bench>", kind="campaign", to_email=f"p{{i}}@example.test",
                             from_email="hello@example.org", subject="Doors open", text_body="", html_body="<p>x</p>",
                             send_key="campaign:1", contact_id=contacts[i], state="sent", sent_at=now - dt.timedelta(hours=1),
                             next_attempt_at=now, created_at=now) for i in range({n})]).execute()
ids = [o.id for o in Outbox.select(Outbox.id).where(Outbox.organization == org.id).order_by(Outbox.id)]
paths = [tracking.click_url(i, url).split("/", 3)[3] for i in ids for url in ("https://example.org/map", "https://example.org/programme?day=1")]
print(json.dumps(["/" + p for p in paths]))
"""

BROWSER = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
}


def follow(base_url: str, paths: list[str], clients: int, total: int) -> Timings:
    per_client = max(1, total // clients)

    def work(index: int, timings: Timings) -> None:
        client = LeanClient(base_url, BROWSER)
        for k in range(per_client):
            path = paths[(index * per_client + k) % len(paths)]
            timed(timings, lambda path=path: client.get(path)[0] == 302)
        client.close()

    return run_concurrently(clients, work)


def measure(instance: Instance, args: argparse.Namespace) -> Figures:
    paths = json.loads(instance.python(SEED.format(n=args.messages)).strip().splitlines()[-1])
    with instance.gunicorn() as base_url:
        follow(base_url, paths, 4, 200)  # warm up the workers
        load_before = os.getloadavg()[0]
        cpu = instance.server_cpu()
        timings = follow(base_url, paths, args.clients, args.requests)
        cpu_per = (instance.server_cpu() - cpu) / max(len(timings.seconds), 1) * 1000
    print(
        timings.report(f"click redirect, {args.clients} clients ({instance.server_shape})"),
        f"; server CPU {cpu_per:.2f} ms/redirect; load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}"
        f" on {os.cpu_count()} cores",
        flush=True,
    )
    return {"redirects/s": len(timings.seconds) / timings.wall, "p99 ms": timings.percentile(99), "CPU ms": cpu_per}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--messages", type=int, default=2000)
    add_database_options(parser)
    args = parser.parse_args(argv if argv is not None else [])
    run_on_each(args, lambda instance: measure(instance, args))


if __name__ == "__main__":
    main(sys.argv[1:])
