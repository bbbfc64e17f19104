"""Campaign hand-over with several jobs side by side (target: 100,000 recipients at 1,000
messages/s or more on 2 cores, DKIM on, a local SMTP sink).

    python -m bench.campaign_handover [--recipients 100000] [--jobs 2] [--database sqlite|postgresql://...]
                                      [--profile]

Seeds N contacts and a campaign to them (as bench/campaigns.py does), resolves its audience, then
runs each of its delivery jobs (ROLLCALL_CAMPAIGN_JOBS parts) in a worker process of its own, as
two worker processes (or nodes) would, until every recipient has its outcome. The SMTP sink
(aiosmtpd) runs in this process and counts. Prints the hand-over rate and the CPU each message
cost: the workers' (render, DKIM, SMTP client, database client), the sink's, and the load average
of the machine before and after (shared machines give noisy rates; the CPU per message is the
steadier figure). `--profile` writes a cProfile of each worker's job thread (not its SMTP threads) to /tmp.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import time

from aiosmtpd.controller import Controller

from bench.campaigns import LABELS, SEED, Sink
from bench.common import ROOT, Instance, free_port
from bench.databases import scratch_postgres

LAUNCH = """
import json
from webapp import work
from webapp.accounts.models import Organization
from webapp.campaigns import audience, service
from webapp.campaigns.models import Campaign, CampaignRecipient
from webapp.work import jobs
from webapp.work.models import Job
seeded = json.loads({seeded!r})
org = Organization.get_by_id(seeded["org"])
chosen = audience.clean(org.id, {{"include_segments": [seeded["segment"]]}})
campaign = service.create(org, {{
    "name": "Bench", "subject": "Hi {{{{ contact.first_name }}}}", "from_email": "hello@news.example.org",
    "from_name": "Bench", "audience": chosen,
    "body_html": "<html><body><h1>Doors open at 8</h1><p>Hello {{{{ contact.first_name | default('there') }}}}, "
                 "here is <a href='https://example.org/map'>the map</a> and "
                 "<a href='https://example.org/programme'>the programme</a>.</p>" + "<p>" + "Lorem ipsum dolor sit amet. " * 60 + "</p></body></html>",
}})
service.send(campaign)
campaign = Campaign.get_by_id(campaign.id)
first = Job.get_by_id(campaign.job_id)
while Campaign.get_by_id(campaign.id).resolved_at is None:  # the first job resolves the audience, then its siblings start
    jobs.run(first.id)
ids = [j.id for j in Job.select().where(Job.kind == "campaign_send") if j.params["campaign_id"] == campaign.id]
print(json.dumps({{"campaign": campaign.id, "jobs": ids, "recipients": Campaign.get_by_id(campaign.id).recipient_count}}))
"""

WORK = """
import cProfile
from webapp import work
from webapp.work import jobs
profile = {profile!r}
if profile:
    prof = cProfile.Profile(); prof.enable()
while jobs.run({job_id}) is work.AGAIN:
    pass
if profile:
    prof.disable(); prof.dump_stats(profile)
"""

RESULT = """
import json
from peewee import fn
from webapp.campaigns.models import Campaign, CampaignRecipient
c = Campaign.get_by_id({campaign})
statuses = {{s: n for s, n in CampaignRecipient.select(CampaignRecipient.status, fn.COUNT(CampaignRecipient.id)).where(CampaignRecipient.campaign == c.id).group_by(CampaignRecipient.status).tuples()}}
print(json.dumps({{"state": c.state, "statuses": statuses}}))
"""


def _wrapped(code: str) -> str:
    return "from webapp.app import create_app\napp = create_app()\nwith app.app_context():\n" + "\n".join(
        "    " + line for line in code.splitlines()
    )


def run(database: str, recipients: int, parts: int, profile: bool) -> None:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    extra = {"SMTP_URL": f"smtp://127.0.0.1:{port}", "ROLLCALL_CAMPAIGN_JOBS": str(parts)}
    kind = "SQLite"
    scratch = contextlib.ExitStack()
    if database.startswith("postgresql://"):
        extra["DATABASE_URL"] = scratch.enter_context(scratch_postgres(database))  # dropped afterwards
        kind = "PostgreSQL"
    try:
        with Instance.create(**extra) as instance:
            print(f"[{kind}] seeding {recipients:,} contacts…", flush=True)
            seeded = instance.python(SEED.format(n=recipients, labels=LABELS)).strip().splitlines()[-1]
            launched = json.loads(instance.python(LAUNCH.format(seeded=seeded)).strip().splitlines()[-1])
            before_sink = sink.count
            load_before = os.getloadavg()
            children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            own_before = time.process_time()
            started = time.perf_counter()
            workers = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "-c",
                        _wrapped(
                            WORK.format(
                                job_id=job_id, profile=f"/tmp/campaign-handover-{job_id}.prof" if profile else ""
                            )
                        ),
                    ],
                    cwd=ROOT,
                    env=instance.env,
                )
                for job_id in launched["jobs"]
            ]
            for worker in workers:
                worker.wait()
            wall = time.perf_counter() - started
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            sink_cpu = time.process_time() - own_before
            load_after = os.getloadavg()
            result = json.loads(instance.python(RESULT.format(campaign=launched["campaign"])).strip().splitlines()[-1])
    finally:
        controller.stop()
        scratch.close()
    workers_cpu = (children.ru_utime + children.ru_stime) - (children_before.ru_utime + children_before.ru_stime)
    handed = sink.count - before_sink
    print(
        f"[{kind}] {launched['recipients']:,} recipients, {len(launched['jobs'])} jobs in {len(launched['jobs'])} "
        f"worker processes: {handed:,} messages handed over (DKIM-signed) in {wall:.1f} s = "
        f"{handed / wall:,.0f} messages/s; campaign {result['state']} {result['statuses']}"
    )
    print(
        f"[{kind}] CPU per message: workers {workers_cpu / handed * 1000:.2f} ms, SMTP sink "
        f"{sink_cpu / handed * 1000:.2f} ms (database server not counted)"
    )
    print(
        f"[{kind}] load average before {load_before[0]:.1f}, after {load_after[0]:.1f} on {os.cpu_count()} cores",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--database", default="sqlite", help="sqlite, or a postgresql:// URL (a new database is made)")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    run(args.database, args.recipients, args.jobs, args.profile)


if __name__ == "__main__":
    main()
