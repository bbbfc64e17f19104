"""CPU time of event ingestion in this process: a 1,000-event bulk post, and processing.

    python -m bench.ingest_cpu [--posts 20] [--people 2000]

A fresh SQLite database and the Flask test client (no HTTP server, no other process): each bulk
post goes through the whole API route (key, rate limit, JSON, validation, insert, answer);
processing is `ingest.process`, as its work items run it, first for events of people new to
the Contact Book (the first 2,000 events: every contact is made), then for the posts after them
(people known). Prints median and lowest CPU time per post and CPU time per 1,000 events
processed; on a busy machine, the lowest CPU time is the steadiest figure. The bodies are those
of bench/api_ingest.py.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import in_process_app  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--people", type=int, default=2000)
    args, _ = parser.parse_known_args()
    with in_process_app("ingest", "production") as app:
        run(app, args.posts, args.people)


def run(app, posts: int, people: int) -> None:
    from bench.api_ingest import batch
    from webapp.accounts import service as accounts
    from webapp.accounts.api_keys import create_key
    from webapp.accounts.models import ApiKeyPolicy
    from webapp.contacts import ingest

    owner = accounts.create_user("bench@example.org", "Bench", "bench-password-123")
    org = accounts.create_organization("Bench Org", owner)
    key, token = create_key(org, "bench")
    ApiKeyPolicy.create(api_key=key, requests_per_minute=1_000_000)
    ingest.create_tag_rule(
        org.id, event_type="purchase", property_name="plan", property_value="pro", action="add", label="Pro"
    )
    first = 2000 // 1000
    bodies = [json.dumps(batch(i, people)) for i in range(first + posts)]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def post(body: str) -> None:
        response = client.post("/api/v1/client/events/bulk", data=body, headers=headers)
        assert response.status_code == 202, response.get_data(as_text=True)[:500]

    for body in bodies[:first]:  # warm-up: their events introduce the people
        post(body)
    new_people_cpu = _processing_cpu(ingest, org.id)

    wall, cpu = [], []
    for body in bodies[first:]:
        start, start_cpu = time.perf_counter(), time.process_time()
        post(body)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    known_people_cpu = _processing_cpu(ingest, org.id)

    print(f"bulk post of 1,000 events, in process: CPU median {statistics.median(cpu):.1f} ms, "
          f"lowest {min(cpu):.1f} ms (wall median {statistics.median(wall):.1f} ms; {posts} posts)")  # fmt: skip
    print(f"processing: {new_people_cpu:.0f} ms CPU per 1,000 events of people new to the Contact Book, "
          f"{known_people_cpu:.0f} ms per 1,000 events of people known")  # fmt: skip
    print(f"(load average when done: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")


def _processing_cpu(ingest, org_id: int) -> float:
    """CPU ms per 1,000 events for processing everything pending (pauses between batches are
    sleeps: not counted)."""
    start_cpu = time.process_time()
    handled = ingest.process([{"org": org_id, "first": 0, "last": 2**31 - 1}])
    return (time.process_time() - start_cpu) * 1000 / handled * 1000


if __name__ == "__main__":
    main()
