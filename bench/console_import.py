"""How fast a CSV import adds participants: 20,000 rows into a fresh SQLite database.

    python -m bench.console_import [--rows 20000]

Runs the import job's body in this process (what the Huey worker runs), with a real SQLite task
queue receiving the follow-up tasks (contact sync, ticket emails), and prints rows per second.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument(
        "--huey", default="", help="task queue URL (default: a SQLite file; redis://127.0.0.1:6379/13 for Redis)"
    )
    args, _ = parser.parse_known_args(argv if argv is not None else sys.argv[1:])
    tmp = Path(tempfile.mkdtemp(prefix="rollcall-bench-import-"))
    os.environ["HUEY_URL"] = args.huey or f"sqlite:///{tmp / 'huey.db'}"

    from webapp import migrate
    from webapp.app import create_app
    from webapp.db import db

    app = create_app(
        {
            "ENVIRON": {
                "ROLLCALL_ENV": "development",
                "DATABASE_URL": f"sqlite:///{tmp / 'rollcall.db'}",
                "HUEY_URL": os.environ["HUEY_URL"],
                "SECRET_KEY": "bench-secret-key-0123456789abcdef",
                "INSTANCE_DIR": str(tmp / "instance"),
            }
        }
    )
    with app.app_context():
        db.connect(reuse_if_open=True)
        migrate.upgrade(db.obj)
        job_id = _prepare(args.rows)
        from webapp import work
        from webapp.registrants import imports  # noqa: F401  (the import job's body)
        from webapp.work import jobs
        from webapp.work.models import Job

        started = time.perf_counter()
        slices = 1
        while jobs.run(job_id) is work.AGAIN:  # the job gives way every few seconds; carry on
            slices += 1
        elapsed = time.perf_counter() - started
        job = Job.get_by_id(job_id)
        print(f"import: {job.created_rows:,} added, {job.failed_rows:,} errors, state {job.state}, {slices} slice(s)")
        print(f"import: {args.rows:,} rows in {elapsed:.1f} s = {args.rows / elapsed:,.0f} rows/s")
        from tasks import huey
        from webapp.work.models import WorkItem

        print(f"task queue ({os.environ['HUEY_URL'].split(':')[0]}): {huey.pending_count():,} follow-up tasks enqueued")
        print(f"work items recorded for later (contact sync, signals): {WorkItem.select().count():,}")
        huey.flush()  # the bench's own queue: nothing will consume it
        if job.error:
            print("job error:", job.error)


def _prepare(rows: int) -> int:
    import datetime as dt

    from webapp.accounts import service as accounts
    from webapp.catalog.models import Product, Question
    from webapp.db import utcnow
    from webapp.events.models import Event
    from webapp.registrants import imports

    user = accounts.create_user("bench@example.org", "Bench Operator", "correct horse battery")
    org = accounts.create_organization("Bench Org", user)
    start = utcnow() + dt.timedelta(days=30)
    event = Event.create(
        organization=org, slug="bench", name="Bench Conference", starts_at=start, ends_at=start + dt.timedelta(hours=8)
    )
    product = Product.create(organization=org, event=event, name="Regular", currency=event.currency)
    Question.create(organization=org, event=event, label="Company", kind="text", per_attendee=True)
    lines = ["name,email,company"] + [f"Person {i},person{i}@example.org,Company {i % 97}" for i in range(rows)]
    parsed = imports.read_upload("\n".join(lines).encode())
    job = imports.create_job(org.id, event, user, parsed, "bench.csv")
    from tasks import huey

    huey.immediate = False
    imports.start(job, mapping={"name": 0, "email": 1, f"q:{Question.get().id}": 2}, product=product,
                  duplicates="skip", send_ticket=False, paid=True)  # fmt: skip
    return job.id


if __name__ == "__main__":
    main()
