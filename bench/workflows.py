"""Workflow trigger costs (figures, no targets):

    python -m bench.workflows [--contacts 50000]

On a fresh SQLite database in this process: a segment-triggered workflow over N contacts (10% in
the segment), timed: the first scan (records who is in), a scan that finds no change, a scan that
finds 1,000 contacts who entered (a run, its timeline entry and its work item each); then the
check a contact change costs for one contact (the immediate segment check), and the same change
while no workflow listens (the cached early return).
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import time

from bench.common import in_process_app

CHUNK = 2000


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=50_000)
    args = parser.parse_args(argv if argv is not None else [])

    with in_process_app("workflows"):
        from webapp.accounts import service as accounts
        from webapp.contacts.models import Contact, ContactLabel, Label
        from webapp.db import db, utcnow
        from webapp.segments import service as segments
        from webapp.workflows import service, triggers
        from webapp.workflows.models import WorkflowRun

        now = utcnow()
        user = accounts.create_user("bench@example.org", "Bench Operator", "correct horse battery")
        org = accounts.create_organization("Bench Org", user)
        vip = Label.create(organization=org.id, name="VIP")
        rows = [
            {"organization": org.id, "email": f"c{i}@bench.test", "unsubscribe_token": secrets.token_urlsafe(24),
             "created_at": now, "updated_at": now}
            for i in range(args.contacts)
        ]  # fmt: skip
        with db.atomic():
            for start in range(0, len(rows), CHUNK):
                Contact.insert_many(rows[start : start + CHUNK]).execute()
        ids = [cid for (cid,) in Contact.select(Contact.id).where(Contact.organization == org.id).tuples()]

        def label(contact_ids):
            with db.atomic():
                for start in range(0, len(contact_ids), CHUNK):
                    ContactLabel.insert_many(
                        [{"organization": org.id, "contact": cid, "label": vip.id, "created_at": now}
                         for cid in contact_ids[start : start + CHUNK]]
                    ).execute()  # fmt: skip

        label(ids[: len(ids) // 10])
        tree = {"type": "group", "join": "and", "negate": False, "children": [
            {"type": "condition", "dimension": "labels", "operator": "any_of", "value": [vip.id]}]}  # fmt: skip
        segment = segments.create_segment(org.id, name="VIP", tree=tree)
        workflow = service.create_workflow(
            org.id, name="VIP welcome", trigger={"kind": "segment_entered", "segment_id": segment.id}, steps=[]
        )
        service.activate(workflow)

        for what in ("first scan (records the members)", "scan, no change"):
            started = time.perf_counter()
            triggers.scan_segment(workflow.id)
            print(
                f"{args.contacts} contacts, {len(ids) // 10} in the segment: {what}: {_ms(time.perf_counter() - started)}"
            )
        label(ids[len(ids) // 10 : len(ids) // 10 + 1000])
        started = time.perf_counter()
        runs = triggers.scan_segment(workflow.id)
        print(f"scan finding 1000 who entered: {runs} runs started in {_ms(time.perf_counter() - started)}")
        assert WorkflowRun.select().count() == 1000

        sample = ids[-200:]
        timings = []
        for cid in sample:
            started = time.perf_counter()
            with db.atomic():
                triggers.contact_changed(cid)
            timings.append(time.perf_counter() - started)
        print(f"contact change, one segment workflow listening: median {_ms(statistics.median(timings))}, "
              f"max {_ms(max(timings))} (immediate membership check)")  # fmt: skip
        service.pause(workflow)
        timings = []
        for cid in sample:
            started = time.perf_counter()
            triggers.contact_changed(cid)
            timings.append(time.perf_counter() - started)
        print(f"contact change, no workflow listening: median {statistics.median(timings) * 1e6:.1f} µs")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
