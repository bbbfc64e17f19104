"""The segments console at 100,000 contacts (targets: the editor's live count over HTTP p99 under
300 ms, the first page of a segment's members p99 under 150 ms; a 100,000-member CSV export as a
job with progress).

    python -m bench.segments_console [--database sqlite|postgresql://user@host/db] [--runs 100]

Seeds as bench/segments.py does (100,000 contacts, 200,000 registrants over 50 events, 30 labels,
1,000,000 tracked events), saves its 3-group / 6-condition segment and a segment of everyone, then:
- signed in to the console over HTTP against gunicorn, times the editor's live count as the
  browser asks for it (POST /console/segments/editor/preview: the tree's form fields, count and a
  sample of ten, rendered) and a segment page's first page of members (its htmx fragment);
- exports the 100,000 members of the everyone segment as the job the console starts, run slice by
  slice as a worker runs it, and prints its wall time, slices and file size.
"""

from __future__ import annotations

import contextlib
import json
import re
import time

from bench.common import Client, Instance, Timings, timed
from bench.console_list import _cookie
from bench.databases import scratch_postgres
from bench.segments import run_each_database, segment_tree

SEED = """
import json
from bench.segments import seed, segment_tree
from webapp.segments import service
seeded = seed()
segment = service.create_segment(seeded["org"], name="Bench segment", tree=segment_tree(seeded["labels"]))
everyone = service.create_segment(seeded["org"], name="Everyone", tree={"type": "group", "join": "and", "children": []})
print(json.dumps({**seeded, "segment": segment.id, "everyone": everyone.id}))
"""

EXPORT = """
import json, time
from pathlib import Path
from webapp import work
from webapp.segments import exports
from webapp.segments.models import Segment
from webapp.work import jobs
from webapp.work.models import Job
segment = Segment.get_by_id({everyone})
start = time.perf_counter()
job = exports.start(segment, actor=None)
slices = 0
while True:
    slices += 1
    if jobs.run(job.id) is not work.AGAIN:
        break
job = Job.get_by_id(job.id)
path = exports.job_file(job)
print(json.dumps({{"seconds": time.perf_counter() - start, "slices": slices, "state": job.state,
                   "rows": job.processed, "bytes": path.stat().st_size if path else 0}}))
"""


def _login(client: Client) -> None:
    """Sign in through the login form (as bench/console_list.py does, without loading the dashboard)."""
    _, body, response = client.request("GET", "/login")
    client.headers["Cookie"] = _cookie(response)
    token = re.search(rb'name="csrf-token" content="([^"]+)"', body).group(1).decode()
    form = {"email": "bench@example.org", "password": "correct horse battery", "csrf_token": token}
    status, body, response = client.request("POST", "/login", form=form)
    if status != 302:
        raise RuntimeError(f"login failed: {status} {body[:300]!r}")
    client.headers["Cookie"] = _cookie(response) or client.headers["Cookie"]


def _form(tree: dict, token: str) -> dict:
    from webapp.segments.editor import form_fields

    form: dict[str, list[str]] = {"csrf_token": [token], "name": ["Bench"]}
    for name, value in form_fields(tree):
        form.setdefault(name, []).append(value)
    return form


def _measure(label: str, call, runs: int, kind: str) -> None:
    for _ in range(5):  # warm the caches and the connection
        call()
    timings = Timings()
    start = time.perf_counter()
    for _ in range(runs):
        timed(timings, call)
    timings.wall = time.perf_counter() - start
    print(f"[{kind}] " + timings.report(label), flush=True)


def run(database: str, runs: int) -> None:
    extra, kind = {}, "SQLite"
    scratch = contextlib.ExitStack()
    if database.startswith("postgresql://"):
        extra["DATABASE_URL"] = scratch.enter_context(scratch_postgres(database))  # dropped afterwards
        kind = "PostgreSQL"
    try:
        with Instance.create(**extra) as instance:
            print(f"[{kind}] seeding…", flush=True)
            seeded = json.loads(instance.python(SEED).strip().splitlines()[-1])
            with instance.gunicorn() as url:
                client = Client(url)
                _login(client)
                _, page, response = client.request("GET", "/console/segments/new")
                client.headers["Cookie"] = _cookie(response) or client.headers["Cookie"]  # the CSRF token's session
                token = re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()
                form = _form(segment_tree(seeded["labels"]), token)
                headers = {"HX-Request": "true", "X-CSRFToken": token}

                def preview() -> bool:
                    status, body, _ = client.request(
                        "POST", "/console/segments/editor/preview", form=form, headers=headers
                    )
                    return status == 200 and b'data-count="' in body

                def members() -> bool:
                    path = f"/console/segments/{seeded['segment']}"
                    status, body, _ = client.request("GET", path, headers={"HX-Request": "true"})
                    return status == 200 and b"/console/contacts/" in body

                _measure("editor live count over HTTP (count + 10, rendered)", preview, runs, kind)
                _measure("segment page: first page of members (fragment)", members, runs, kind)
            figures = json.loads(instance.python(EXPORT.format(everyone=seeded["everyone"])).strip().splitlines()[-1])
            print(
                f"[{kind}] export of {figures['rows']:,} members as a job: {figures['seconds']:.1f} s in "
                f"{figures['slices']} slices, {figures['bytes'] / 1e6:.1f} MB, {figures['state']}",
                flush=True,
            )
    finally:
        scratch.close()


def main(argv: list[str] | None = None) -> None:
    run_each_database(run, argv)


if __name__ == "__main__":
    main()
