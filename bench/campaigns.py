"""Campaign speed (targets: 100,000 recipients handed over at 1,000 messages/s or more with DKIM
on; the recipient count of a segment audience at 100,000 contacts under 200 ms; report queries
p99 under 150 ms with 100,000 recipients and 1,000,000 tracking rows).

    python -m bench.campaigns [--recipients 100000] [--database sqlite|postgresql://...] [--runs 50]

Seeds N contacts (about 2 of 30 labels each), a saved segment over labels, and a sending domain
with its DKIM key, in a fresh instance; a local SMTP sink (aiosmtpd, counting) takes the mail.
Then, in one process as a worker runs it: the campaign to the segment is launched and its delivery
job run slice after slice until every recipient is sent (audience resolution timed apart from the
hand-over); then 10 tracking rows per recipient are added and the report queries timed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import threading

from aiosmtpd.controller import Controller

from bench.common import Instance, Timings, free_port
from bench.databases import scratch_postgres

LABELS = 30


class Sink:
    """Counts what it is handed; keeps nothing."""

    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802 - aiosmtpd's hook name
        """PIPELINING offered, as receiving MTAs do (aiosmtpd reads pipelined commands in order but
        does not say so by itself)."""
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            self.count += 1
        return "250 OK"


SEED = """
import json, random, time
from webapp.accounts import service as accounts
from webapp.contacts.models import Contact, ContactLabel, Label
from webapp.db import db, utcnow
from webapp.mail import domains
from webapp.segments.models import Segment
rng = random.Random(7)
now = utcnow()
user = accounts.create_user("bench@example.org", "Bench Operator", "correct horse battery")
org = accounts.create_organization("Bench Org", user, timezone="Asia/Jakarta")
org.postal_address = "Jl. Sudirman 1, Jakarta"
org.campaign_rate_per_minute = 1_000_000
org.save()
row = domains.add_domain(org, "news.example.org", actor=None)
row.verified_at = now
row.save()
labels = [Label.create(organization=org.id, name=f"Label {{i}}") for i in range({labels})]
started = time.perf_counter()
for base in range(0, {n}, 4000):  # SQLite takes at most 32,766 variables in one statement
    with db.atomic():
        Contact.insert_many([
            dict(organization=org.id, email=f"person{{i}}@domain{{i % 40}}.test", name=f"Person{{i}} Bench",
                 status="active", unsubscribe_token=f"u{{i}}", created_at=now, updated_at=now)
            for i in range(base, min(base + 4000, {n}))
        ]).execute()
ids = [c.id for c in Contact.select(Contact.id).where(Contact.organization == org.id)]
rows = [dict(organization=org.id, contact=cid, label=label.id, created_at=now)
        for cid in ids for label in rng.sample(labels, rng.choice([1, 2, 2, 3]))]
for base in range(0, len(rows), 8000):
    with db.atomic():
        ContactLabel.insert_many(rows[base:base + 8000]).execute()
# The segment holds every contact with any label: each contact has one or more.
tree = {{"type": "group", "join": "and", "negate": False, "children": [
    {{"type": "condition", "dimension": "labels", "operator": "any_of", "negate": False, "value": [l.id for l in labels]}}]}}
segment = Segment.create(organization=org.id, name="Everyone labelled", tree=tree)
db.execute_sql("ANALYZE")
print(json.dumps({{"org": org.id, "segment": segment.id, "seconds": time.perf_counter() - started}}))
"""

MEASURE = """
import json, random, time, datetime as dt
from webapp import work
from webapp.accounts.models import Organization
from webapp.campaigns import audience, reports, service
from webapp.campaigns.models import Campaign, CampaignRecipient
from webapp.db import db, utcnow
from webapp.mail.models import MailEngagement
from webapp.work import jobs
seeded = json.loads({seeded!r})
org = Organization.get_by_id(seeded["org"])
chosen = audience.clean(org.id, {{"include_segments": [seeded["segment"]]}})
out = {{"count": []}}
for _ in range(3):
    audience.count(org.id, chosen)
for _ in range({runs}):
    t = time.perf_counter(); found = audience.count(org.id, chosen); out["count"].append(time.perf_counter() - t)
out["recipients"] = found["recipients"]
campaign = service.create(org, {{
    "name": "Bench", "subject": "Hi {{{{ contact.first_name }}}}", "from_email": "hello@news.example.org",
    "from_name": "Bench", "audience": chosen,
    "body_html": "<html><body><h1>Doors open at 8</h1><p>Hello {{{{ contact.first_name | default('there') }}}}, "
                 "here is <a href='https://example.org/map'>the map</a> and "
                 "<a href='https://example.org/programme'>the programme</a>.</p>" + "<p>" + "Lorem ipsum dolor sit amet. " * 60 + "</p></body></html>",
}})
# Resolution alone, on a copy of the campaign (its rows removed afterwards).
trial = service.create(org, {{"name": "Resolution trial", "audience": chosen}})
t = time.perf_counter()
after = 0
while (after := audience.resolve_batch(trial, after)) is not None:
    pass
out["resolve"] = time.perf_counter() - t
CampaignRecipient.delete().where(CampaignRecipient.campaign == trial.id).execute()
service.send(campaign)
campaign = Campaign.get_by_id(campaign.id)
started = time.perf_counter()
cpu = time.process_time()
while jobs.run(campaign.job_id) is work.AGAIN:
    pass
ended = time.perf_counter()
out["cpu"] = time.process_time() - cpu
out["send"] = ended - started - out["resolve"]
out["sent"] = CampaignRecipient.select().where((CampaignRecipient.campaign == campaign.id) & (CampaignRecipient.status == "sent")).count()
out["state"] = Campaign.get_by_id(campaign.id).state
# 10 tracking rows per recipient: opens and clicks over a week, a tenth of them machines'.
rng = random.Random(3)
rows = list(CampaignRecipient.select(CampaignRecipient.outbox_id, CampaignRecipient.contact).where(CampaignRecipient.campaign == campaign.id).tuples())
now = utcnow()
batch = []
for outbox_id, contact_id in rows:
    for k in range(10):
        batch.append(dict(organization=org.id, outbox=outbox_id, contact_id=contact_id, kind="open" if k < 6 else "click",
                          url=None if k < 6 else f"https://example.org/{{k}}", machine=rng.random() < 0.1,
                          occurred_at=now - dt.timedelta(minutes=rng.randint(0, 10080)), send_key=campaign.send_key))
    if len(batch) >= 20000:
        with db.atomic():
            MailEngagement.insert_many(batch).execute()
        batch = []
if batch:
    with db.atomic():
        MailEngagement.insert_many(batch).execute()
db.execute_sql("ANALYZE")
campaign = Campaign.get_by_id(campaign.id)
for name, call in (("basic", lambda: reports.basic(campaign)), ("link", lambda: reports.links(campaign)),
                   ("open_time", lambda: reports.open_hours(campaign, "Asia/Jakarta")),
                   ("series", lambda: reports.series(campaign))):
    call()
    out[name] = []
    for _ in range({runs}):
        t = time.perf_counter(); call(); out[name].append(time.perf_counter() - t)
out["tracking_rows"] = MailEngagement.select().where(MailEngagement.send_key == campaign.send_key).count()
print(json.dumps(out))
"""


def run(database: str, recipients: int, runs: int) -> None:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    extra = {"SMTP_URL": f"smtp://127.0.0.1:{port}"}
    kind = "SQLite"
    scratch = contextlib.ExitStack()
    if database.startswith("postgresql://"):
        extra["DATABASE_URL"] = scratch.enter_context(scratch_postgres(database))  # dropped afterwards
        kind = "PostgreSQL"
    try:
        with Instance.create(**extra) as instance:
            print(f"[{kind}] seeding {recipients:,} contacts…", flush=True)
            seeded = instance.python(SEED.format(n=recipients, labels=LABELS)).strip().splitlines()[-1]
            figures = json.loads(instance.python(MEASURE.format(seeded=seeded, runs=runs)).strip().splitlines()[-1])
    finally:
        controller.stop()
        scratch.close()
    count = Timings(seconds=figures["count"], wall=sum(figures["count"]))
    label = f"recipient count, segment audience ({figures['recipients']:,} contacts)"
    print(f"[{kind}] {count.report(label, 'counts')}")
    rate = figures["sent"] / figures["send"] if figures["send"] else float("nan")
    print(
        f"[{kind}] resolved {figures['recipients']:,} recipients in {figures['resolve']:.2f} s; handed over "
        f"{figures['sent']:,} messages (DKIM-signed) in {figures['send']:.2f} s = {rate:,.0f} messages/s "
        f"(one worker thread; CPU {figures['cpu']:.1f} s); the sink received {sink.count:,}; campaign {figures['state']}"
    )
    for name in ("basic", "link", "open_time", "series"):
        timings = Timings(seconds=figures[name], wall=sum(figures[name]))
        label = f"report {name} ({figures['tracking_rows']:,} tracking rows)"
        print(f"[{kind}] {timings.report(label, 'queries')}")
    print(f"[{kind}] load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--database", default="sqlite", help="sqlite, or a postgresql:// URL (a new database is made)")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    run(args.database, args.recipients, args.runs)


if __name__ == "__main__":
    main()
