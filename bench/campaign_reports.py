"""A campaign's report page at scale (target: p99 under 150 ms with 100,000 recipients and
1,000,000 tracking rows).

    python -m bench.campaign_reports [--recipients 100000] [--hits-per-recipient 10] [--requests 100]
                                     [--database postgresql://postgres@127.0.0.1:5432/test]

Fills a new PostgreSQL database: N contacts, a sent campaign to all of them (recipients and their
outbox rows: 2 % bounced, 1 % unsubscribed), and 10 tracking rows per recipient (opens and clicks
on 4 links over a week, a tenth of them machines'), written in one INSERT … SELECT; then the per-
hour figures are filled from those rows as migration 0670 does for existing data, and the recipient
counters as resolving the audience sets them. The report
page (the console's full page, then its htmx fragment) is fetched through gunicorn as the Procfile
runs it, by one signed-in operator; prints p50/p99, the server's CPU per page and the load average.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time

from bench.common import ROOT, Client, Instance, Timings, timed
from bench.console_list import login
from bench.databases import scratch_postgres

SEED = """
import datetime as dt, json, random, time
from webapp.accounts import service as accounts
from webapp.campaigns import service, tally
from webapp.campaigns.models import Campaign, CampaignRecipient
from webapp.contacts.models import Contact
from webapp.db import db, utcnow
from webapp.mail.models import Outbox
rng = random.Random(5)
now = utcnow()
sent_at = now - dt.timedelta(days=7)
user = accounts.create_user("bench@example.org", "Bench Operator", "correct horse battery")
org = accounts.create_organization("Bench Org", user, timezone="Asia/Jakarta")
campaign = service.create(org, {{"name": "Doors open", "subject": "Doors open", "from_email": "hello@news.example.org",
                                 "body_html": "<p>Doors open at 8.</p>", "category": "Announcements"}})
Campaign.update(state="sent", sent_at=sent_at, finished_at=sent_at, resolved_at=sent_at, recipient_count={n}).where(
    Campaign.id == campaign.id).execute()
campaign = Campaign.get_by_id(campaign.id)
started = time.perf_counter()
for base in range(0, {n}, 20000):
    top = min(base + 20000, {n})
    with db.atomic():
        Contact.insert_many([dict(organization=org.id, email=f"p{{i}}@example.test", name=f"Person {{i}}", status="active",
                                  unsubscribe_token=f"u{{i}}", created_at=now, updated_at=now) for i in range(base, top)]).execute()
        Outbox.insert_many([dict(organization=org.id, message_id=f"<c{{campaign.id}}.{{i}}@bench>", kind="campaign",
                                 to_email=f"p{{i}}@example.test", from_email="hello@news.example.org", subject="Doors open",
                                 text_body="", send_key=campaign.send_key, state="sent", sent_at=sent_at,
                                 next_attempt_at=sent_at, created_at=sent_at) for i in range(base, top)]).execute()
db.execute_sql("UPDATE outbox o SET contact_id = c.id FROM contact c WHERE c.organization_id = %s AND o.organization_id = %s "
               "AND c.email = o.to_email", (org.id, org.id))
db.execute_sql(
    "INSERT INTO campaign_recipient (organization_id, campaign_id, contact_id, email, status, message_id, outbox_id, "
    "attempts, soft_failures, sent_at, unsubscribed_at) "
    "SELECT o.organization_id, %s, o.contact_id, o.to_email, CASE WHEN o.id %% 50 = 0 THEN 'bounced' ELSE 'sent' END, "
    "o.message_id, o.id, 1, 0, o.sent_at, CASE WHEN o.id %% 100 = 1 THEN o.sent_at END "
    "FROM outbox o WHERE o.send_key = %s", (campaign.id, campaign.send_key))
tally.reset(campaign.id, org.id)  # the report's recipient counters, as resolving the audience sets them
# 10 hits per recipient: 6 opens and 4 clicks (one per link), a tenth of them machines', over the week.
db.execute_sql(
    "INSERT INTO mail_engagement (organization_id, outbox_id, contact_id, kind, url, machine, occurred_at, send_key) "
    "SELECT r.organization_id, r.outbox_id, r.contact_id, CASE WHEN k <= 6 THEN 'open' ELSE 'click' END, "
    "CASE WHEN k <= 6 THEN NULL ELSE 'https://example.org/link' || (k - 6) END, (r.id * 7 + k) %% 10 = 0, "
    "%s + make_interval(mins => ((r.id * 37 + k * 1013) %% 10080)::int), %s "
    "FROM campaign_recipient r CROSS JOIN generate_series(1, {hits}) AS k WHERE r.campaign_id = %s AND r.status = 'sent'",
    (sent_at, campaign.send_key, campaign.id))
print(json.dumps({{"campaign": campaign.id, "send_key": campaign.send_key, "seconds": time.perf_counter() - started}}))
"""


def _fill_statement() -> str:
    """Migration 0670's backfill for PostgreSQL: the per-hour figures from the hits."""
    spec = importlib.util.spec_from_file_location("m0670", ROOT / "migrations" / "0670_engagement_hours.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SQL["postgresql"][-1]


FILL = """
import json, time
from webapp.db import db
from webapp.mail.models import EngagementHour, MailEngagement
started = time.perf_counter()
db.execute_sql({fill!r})
db.execute_sql("ANALYZE")
print(json.dumps({{"seconds": time.perf_counter() - started, "hits": MailEngagement.select().count(),
                  "hour_rows": EngagementHour.select().count()}}))
"""


def measure(client: Client, path: str, requests: int, headers: dict, instance: Instance) -> tuple[Timings, float]:
    timings = Timings()

    def call() -> bool:
        status, body, _ = client.request("GET", path, headers=headers)
        return status == 200 and b"Hard bounces" in body

    for _ in range(3):
        call()
    cpu = instance.server_cpu()
    start = time.perf_counter()
    for _ in range(requests):
        timed(timings, call)
    timings.wall = time.perf_counter() - start
    return timings, (instance.server_cpu() - cpu) / requests * 1000


def run(database: str, recipients: int, hits: int, requests: int) -> None:
    with scratch_postgres(database) as url, Instance.create(DATABASE_URL=url) as instance:
        print(f"seeding {recipients:,} recipients and {recipients * hits:,} tracking rows…", flush=True)
        seeded = json.loads(instance.python(SEED.format(n=recipients, hits=hits)).strip().splitlines()[-1])
        filled = json.loads(instance.python(FILL.format(fill=_fill_statement())).strip().splitlines()[-1])
        print(
            f"seeded in {seeded['seconds']:.0f} s; {filled['hits']:,} tracking rows summed into "
            f"{filled['hour_rows']:,} hourly rows in {filled['seconds']:.1f} s",
            flush=True,
        )
        path = f"/console/campaigns/{seeded['campaign']}/report"
        with instance.gunicorn() as base_url:
            client = Client(base_url)
            login(client)
            for label, headers in (("report page", {}), ("report fragment (htmx)", {"HX-Request": "true"})):
                load = os.getloadavg()[0]
                timings, cpu = measure(client, path, requests, headers, instance)
                print(
                    timings.report(f"{label}, {recipients:,} recipients, {filled['hits']:,} tracking rows"),
                    f"; server CPU {cpu:.1f} ms/page; load average {load:.1f} -> {os.getloadavg()[0]:.1f}",
                    flush=True,
                )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--hits-per-recipient", type=int, default=10)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    run(args.database, args.recipients, args.hits_per_recipient, args.requests)


if __name__ == "__main__":
    main()
