"""Where a campaign message's CPU goes in the worker: one delivery job run in one process to a
local SMTP sink (aiosmtpd, in this process), DKIM on.

    python -m bench.campaign_send_profile [--recipients 2000] [--rounds 1] [--stages] [--profile /tmp/campaign-send.prof]

Seeds N contacts and a campaign to them (as bench/campaign_handover.py does, one job), then runs the
job in a worker process: its CPU per message (every thread of the process, start-up excluded) is
printed beside the sink's; `--rounds N` does it N times, each on a campaign of its own, and
prints the lowest (on a shared machine the least disturbed). `--stages` runs it again on a fresh campaign with the SMTP connections'
work done on the job's thread, and prints the CPU per message of each stage (rendering, signing,
the SMTP client, the database writes). `--profile` does the same under cProfile (CPU time) and
writes the profile there (`python -m pstats` reads it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from aiosmtpd.controller import Controller

from bench.campaign_handover import LAUNCH
from bench.campaigns import LABELS, SEED, Sink
from bench.common import Instance, free_port

# module:attribute (of a class: module:Class.attribute), the stages timed by --stages
STAGES = (
    "webapp.campaigns.handover:claim",
    "webapp.campaigns.compose:Sender.message",
    "webapp.campaigns.compose:Sender.render",
    "webapp.campaigns.signing:Signer.sign",
    "webapp.mail.service:SmtpSession.send",
    "webapp.campaigns.handover:record",
    "webapp.campaigns.delivery:_announce",
    "webapp.work.jobs:checkpoint",
)

MEASURE = """
import cProfile, importlib, json, time
from concurrent.futures import Future
from webapp import work
from webapp.campaigns import handover
from webapp.work import jobs
launched = json.loads({launched!r})
profile, stages = {profile!r}, {stages!r}
spent = {{}}

def timed(name, call):
    def wrapper(*args, **kwargs):
        started = time.thread_time()
        try:
            return call(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.thread_time() - started
    return wrapper

for stage in stages:
    module, _, path = stage.partition(":")
    owner = importlib.import_module(module)
    *classes, attr = path.split(".")
    for name in classes:
        owner = getattr(owner, name)
    setattr(owner, attr, timed(path, getattr(owner, attr)))
if profile or stages:
    def inline(self, sender, claimed):  # the SMTP threads' work on this thread
        future = Future()
        future.set_result(self._deliver(sender, claimed))
        return future
    handover.Connections.submit = inline
if profile:
    prof = cProfile.Profile(time.process_time)  # CPU, not the wait for the sink
    prof.enable()
cpu, wall = time.process_time(), time.perf_counter()
for job_id in launched["jobs"]:
    while jobs.run(job_id) is work.AGAIN:
        pass
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
if profile:
    prof.disable()
    prof.dump_stats(profile)
print(json.dumps({{"cpu": cpu, "wall": wall, "stages": spent}}))
"""


def run(recipients: int, rounds: int, stages: bool, profile: str) -> None:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    extra = {"SMTP_URL": f"smtp://127.0.0.1:{port}", "ROLLCALL_CAMPAIGN_JOBS": "1"}
    modes = [("threads", (), "")] * rounds
    if stages:
        modes.append(("one thread, stages", STAGES, ""))
    if profile:
        modes.append(("one thread, cProfile", (), profile))
    lowest: dict[str, float] = {}
    try:
        with Instance.create(**extra) as instance:
            seeded = instance.python(SEED.format(n=recipients, labels=LABELS)).strip().splitlines()[-1]
            for mode, timed, profile_to in modes:
                launched = instance.python(LAUNCH.format(seeded=seeded)).strip().splitlines()[-1]
                before, own = sink.count, time.process_time()
                load = os.getloadavg()[0]
                out = instance.python(MEASURE.format(launched=launched, profile=profile_to, stages=timed)).strip()
                figures = json.loads(out.splitlines()[-1])
                handed, sink_cpu = sink.count - before, time.process_time() - own
                if mode == "threads":
                    worker = figures["cpu"] / handed * 1000
                    lowest["worker"] = min(lowest.get("worker", worker), worker)
                    lowest["sink"] = min(lowest.get("sink", sink_cpu / handed * 1000), sink_cpu / handed * 1000)
                print(
                    f"[{mode}] {handed:,} messages in {figures['wall']:.1f} s: worker CPU "
                    f"{figures['cpu'] / handed * 1000:.3f} ms/message (all threads, start-up excluded), sink "
                    f"{sink_cpu / handed * 1000:.3f} ms/message; load average {load:.1f}",
                    flush=True,
                )
                for name, seconds in figures["stages"].items():
                    print(f"    {name:<24} {seconds / handed * 1000:.3f} ms/message")
    finally:
        controller.stop()
    if rounds > 1:
        print(f"lowest of {rounds}: worker {lowest['worker']:.3f} ms/message, sink {lowest['sink']:.3f} ms/message")
    if profile:
        print(f"profile written to {profile}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--stages", action="store_true", help="CPU per message of each stage, one thread")
    parser.add_argument("--profile", default="", help="write a cProfile (CPU time) of a one-thread run here")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    run(args.recipients, args.rounds, args.stages, args.profile)


if __name__ == "__main__":
    main()
