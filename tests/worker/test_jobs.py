"""Console jobs run by the real consumer: a CSV import, a large export, a bulk badge PDF, and an
import whose consumer is killed half-way."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.worker.conftest import CSRF_INPUT, wait_until
from webapp.registrants.export_jobs import DIRECT_LIMIT

pytestmark = pytest.mark.worker


def _wait_done(console, job_id: int, timeout: float = 60) -> None:
    state = wait_until(
        lambda: (s := console.job_state(job_id)) in ("done", "failed") and s, timeout=timeout, what=f"job {job_id}"
    )
    assert state == "done", console.get(f"/console/jobs/{job_id}", headers={"HX-Request": "true"}).text


def _job_id(answer) -> int:
    assert answer.status_code == 303, answer.text[-2000:]
    return int(re.search(r"/(?:jobs|imports)/(\d+)", answer.headers["Location"]).group(1))


def test_a_csv_import_from_the_console_completes_and_the_registrants_exist(tier, org_setup):
    org = org_setup
    console = tier.console(org["email"])
    rows = [("name", "email")] + [(f"Imported {n}", f"imported{n}@import.test") for n in range(40)]
    body = io.StringIO()
    csv.writer(body).writerows(rows)
    token = CSRF_INPUT.search(console.get(f"/console/events/{org['event']}/import").text).group(1)
    uploaded = console.post(
        f"/console/events/{org['event']}/import",
        data={"csrf_token": token},
        files={"file": ("people.csv", body.getvalue().encode(), "text/csv")},
    )
    job_id = _job_id(uploaded)
    started = console.post(
        f"/console/imports/{job_id}",
        data={
            "csrf_token": token,
            "map-name": "0",
            "map-email": "1",
            "product": str(org["product"]),
            "duplicates": "skip",
            "paid": "y",
        },
    )
    assert _job_id(started) == job_id
    _wait_done(console, job_id)

    listed = tier.api(org["token"]).get(f"/events/{org['event']}/registrants", params={"search": "import.test"}).json()
    assert sorted(r["email"] for r in listed["data"]) == sorted(email for _, email in rows[1:])


def test_a_large_export_runs_as_a_job_and_its_file_downloads(tier, org_setup):
    org = org_setup
    count = DIRECT_LIMIT["csv"] + 1
    tier.seed(
        f"""
        from tests.factories.orders import make_order
        from webapp.events.models import Event
        from webapp.orders.models import Registrant
        from webapp.orders.ticket_secrets import new_ticket_secret
        event = Event.get_by_id({org["event"]})
        from tests.factories.contacts import make_contact
        order = make_order(event, attendees=[{{"name": "Person 0", "email": "p0@export.test"}}])
        # One contact for all: registrants without one would be synced into 15,000 contacts later.
        contact = make_contact(event.organization, "everyone@export.test")
        rows = [
            dict(organization=event.organization_id, event=event.id, order=order.id, product={org["product"]},
                 name=f"Person {{n}}", email=f"p{{n}}@export.test", answers={{}}, ticket_secret=new_ticket_secret(),
                 contact=contact.id)
            for n in range(1, {count})
        ]
        with db.atomic():
            for start in range(0, len(rows), 500):
                Registrant.insert_many(rows[start:start + 500]).execute()
        """
    )
    console = tier.console(org["email"])
    direct = console.get(f"/console/events/{org['event']}/exports/registrants.csv", allow_redirects=False)
    assert direct.status_code == 303  # too many rows to download at once
    job_id = _job_id(console.post(f"/console/events/{org['event']}/exports/registrants.csv"))
    _wait_done(console, job_id, timeout=90)

    download = console.get(f"/console/exports/{job_id}/file")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    lines = download.content.decode("utf-8-sig").splitlines()
    assert len(lines) == count + 1  # a header line, then a line per registrant
    assert sum("@export.test" in line for line in lines) == count


def test_a_bulk_badge_pdf_is_built_and_downloads(tier, org_setup):
    org = org_setup
    tier.seed(
        f"""
        from tests.factories.orders import make_order
        from webapp.events.models import Event
        event = Event.get_by_id({org["event"]})
        for n in range(12):
            make_order(event, attendees=[{{"name": f"Badge Person {{n}}", "email": f"b{{n}}@badges.test"}}])
        """
    )
    console = tier.console(org["email"])
    started = console.post(
        f"/console/events/{org['event']}/checkin/badges/bulk",
        data={"product_ids": str(org["product"])},
        headers={"HX-Request": "true"},
    )
    assert started.status_code == 200, started.text[-2000:]
    job_id = int(re.search(r'id="job-(\d+)"', started.text).group(1))
    _wait_done(console, job_id, timeout=90)
    page = console.get(f"/console/jobs/{job_id}", headers={"HX-Request": "true"}).text
    pdf = console.get(f"/console/events/{org['event']}/checkin/badges/jobs/{job_id}/badges.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert "done: 12 badges" in page


KILLED_ROWS = 6_000


def test_an_import_whose_consumer_is_killed_half_way_resumes_and_imports_each_row_once(tier, org_setup):
    api = tier.api(org_setup["token"])
    rows = "".join(f"Person {i},killed-{i}@resumed-import.test\n" for i in range(KILLED_ROWS))
    job = api.post(
        f"/events/{org_setup['event']}/registrants/imports",
        json={"csv": "name,email\n" + rows, "product_id": org_setup["product"], "send_ticket": False},
    )
    assert job.status_code == 202, job.text
    job_id = job.json()["id"]

    def half_way():
        found = api.get(f"/imports/{job_id}").json()
        return found["state"] == "running" and 0 < found["processed"] < KILLED_ROWS and found

    at_kill = wait_until(half_way, timeout=90, interval=0.05, what="the import to be under way")
    tier.worker.kill_hard()  # mid-slice: its work item stays leased, its last batch uncommitted
    tier.start_worker()
    # The killed consumer's work item comes back when its lease lapses; the job resumes from its
    # checkpoint, the last batch it saved.
    final = wait_until(
        lambda: (j := api.get(f"/imports/{job_id}").json())["state"] in ("done", "failed") and j,
        timeout=240,
        interval=1,
        what="the import to finish after the restart",
    )
    assert final["state"] == "done", final
    assert at_kill["processed"] < KILLED_ROWS
    # Exact counts: no row imported twice (a second time, it would be skipped as a duplicate).
    assert (final["processed"], final["created_rows"], final["skipped_rows"], final["failed_rows"]) == (
        KILLED_ROWS,
        KILLED_ROWS,
        0,
        0,
    )
    found = tier.seed(
        f"""
        from webapp.orders.models import Registrant
        from webapp.work.models import Job
        out.update(
            registrants=Registrant.select().where(Registrant.email.endswith("@resumed-import.test")).count(),
            runs=Job.get_by_id({job_id}).runs,
        )
        """
    )
    assert found["registrants"] == KILLED_ROWS
    assert found["runs"] == 2  # the run that died, and the one that resumed it
