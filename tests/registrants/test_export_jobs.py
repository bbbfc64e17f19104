"""Large exports run as jobs: progress bar, a file under the instance directory for the
organization's managers only, deleted after a day; small ones stay direct."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl
import pytest

from tests.factories.accounts import make_org
from tests.factories.events import make_event
from tests.factories.orders import make_registrant
from tests.registrants.test_job_resume import WorkerDied, die_on_call, resume
from webapp.db import utcnow
from webapp.registrants import export_jobs
from webapp.work import jobs
from webapp.work.models import Job

EVIL = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def small_limit(monkeypatch):
    """Exports of more than two rows run as jobs."""
    monkeypatch.setattr(export_jobs, "DIRECT_LIMIT", {"csv": 2, "xlsx": 2})


def start(client, event, kind="registrants", fmt="xlsx"):
    response = client.post(f"/console/events/{event.id}/exports/{kind}.{fmt}")
    assert response.status_code == 303, response.text
    job_id = int(re.search(r"/console/jobs/(\d+)$", response.headers["Location"]).group(1))
    return Job.get_by_id(job_id)


def file_url(job) -> str:
    return f"/console/exports/{job.id}/file"


def test_a_large_xlsx_export_runs_as_a_job_and_is_downloaded_from_its_progress_page(desk, small_limit):
    for i in range(3):
        make_registrant(desk.event, buyer_name=f"{EVIL} {i}" if i == 0 else f"Person {i}")
    page = desk.client.get(f"/console/events/{desk.event.id}/exports").text
    assert f'action="/console/events/{desk.event.id}/exports/registrants.xlsx"' in page  # a form, not a link
    assert f'href="/console/events/{desk.event.id}/exports/orders.xlsx"' not in page
    job = start(desk.client, desk.event)
    assert (job.kind, job.state, job.processed, job.total) == ("export", "done", 3, 3)
    progress = desk.client.get(f"/console/jobs/{job.id}").text
    assert "hx-trigger" not in progress and f'href="{file_url(job)}"' in progress
    response = desk.client.get(file_url(job))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and job.params["filename"] in disposition
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    names = [row[rows[0].index("Name")] for row in rows[1:]]
    assert sorted(names)[0] == f"'{EVIL} 0"  # the formula start is neutralized
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    stored = desk.client.application.config["SETTINGS"].instance_dir / "exports" / job.params["path"]
    assert stored.is_file() and not list(stored.parent.glob("*.part"))


def test_a_large_csv_export_runs_as_a_job_too_with_escaped_cells(desk, small_limit):
    for name in (EVIL, "Ana", "Budi"):
        make_registrant(desk.event, buyer_name=name)
    job = start(desk.client, desk.event, fmt="csv")
    response = desk.client.get(file_url(job))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 4 and "'" + EVIL in [row[rows[0].index("Name")] for row in rows]


def test_the_direct_link_of_a_large_export_sends_back_to_the_page(desk, small_limit):
    for _ in range(3):
        make_registrant(desk.event)
    response = desk.client.get(f"/console/events/{desk.event.id}/exports/registrants.xlsx")
    assert response.status_code == 303 and response.headers["Location"].endswith("/exports")
    assert "too many rows" in desk.client.get(response.headers["Location"]).text
    # Orders of three registrants of three orders: also over the limit; check-ins: none, direct.
    assert desk.client.get(f"/console/events/{desk.event.id}/exports/checkins.xlsx").status_code == 200


def test_a_second_click_while_the_export_runs_follows_the_same_job(desk):
    running = Job.create(
        organization_id=desk.org.id, event_id=desk.event.id, kind="export", state="running", heartbeat_at=utcnow(),
        params={"table": "orders", "format": "xlsx", "path": "x.xlsx", "filename": "x.xlsx"},
    )  # fmt: skip
    assert start(desk.client, desk.event, kind="orders").id == running.id
    other = start(desk.client, desk.event, kind="orders", fmt="csv")
    assert other.id != running.id and other.state == "done"


def test_the_file_is_for_the_organizations_managers_only(desk, small_limit, member_client):
    for _ in range(3):
        make_registrant(desk.event)
    job = start(desk.client, desk.event)
    assert member_client(desk.org, "manager").get(file_url(job)).status_code == 200
    assert member_client(desk.org, "door").get(file_url(job)).status_code == 403
    stranger = member_client(make_org(), "owner")
    assert stranger.get(file_url(job)).status_code == 404
    assert stranger.get(f"/console/jobs/{job.id}").status_code == 404
    # Starting one needs the role and the event of one's own organization too.
    assert (
        member_client(desk.org, "door").post(f"/console/events/{desk.event.id}/exports/orders.csv").status_code == 403
    )
    foreign = make_event(make_org())
    assert desk.client.post(f"/console/events/{foreign.id}/exports/orders.csv").status_code == 404
    assert desk.client.post(f"/console/events/{desk.event.id}/exports/secrets.csv").status_code == 404


def test_only_finished_exports_download(desk):
    waiting = Job.create(
        organization_id=desk.org.id, event_id=desk.event.id, kind="export", state="queued",
        params={"table": "orders", "format": "csv", "path": "later.csv", "filename": "later.csv"},
    )  # fmt: skip
    response = desk.client.get(file_url(waiting))
    assert response.status_code == 404 and "not ready" in response.text
    an_import = Job.create(organization_id=desk.org.id, event_id=desk.event.id, kind="import", state="done")
    assert desk.client.get(file_url(an_import)).status_code == 404


def test_the_file_is_deleted_after_a_day_by_the_cleanup(desk, small_limit):
    for _ in range(3):
        make_registrant(desk.event)
    job = start(desk.client, desk.event)
    stored = desk.client.application.config["SETTINGS"].instance_dir / "exports" / job.params["path"]
    assert export_jobs.forget_old_files(now=job.finished_at + dt.timedelta(hours=23)) == 0
    assert stored.is_file()
    assert export_jobs.forget_old_files(now=job.finished_at + dt.timedelta(hours=25)) == 1
    assert not stored.exists()
    assert desk.client.get(file_url(job)).status_code == 404
    assert "deleted" in desk.client.get(f"/console/jobs/{job.id}").text
    from tasks.console import forget_old_files

    forget_old_files.call_local()  # the hourly task runs both cleanups


def test_an_export_whose_worker_died_starts_over(desk, small_limit, monkeypatch):
    for i in range(5):
        make_registrant(desk.event, buyer_name=f"Person {i}")
    monkeypatch.setattr(export_jobs, "HEARTBEAT_ROWS", 2)
    die_on_call(monkeypatch, jobs, "checkpoint", 3)  # total, 2 rows, then dies at 4 rows
    with pytest.raises(WorkerDied):
        desk.client.post(f"/console/events/{desk.event.id}/exports/registrants.csv")
    monkeypatch.undo()
    job = Job.get(Job.kind == "export")
    assert (job.state, job.processed) == ("running", 2)
    running = desk.client.get(f"/console/jobs/{job.id}", headers={"HX-Request": "true"}).text
    assert 'hx-trigger="load delay:500ms"' in running  # the bar polls itself
    resume()
    job = Job.get_by_id(job.id)
    assert (job.state, job.processed, job.runs) == ("done", 5, 2)
    rows = list(csv.reader(io.StringIO(desk.client.get(file_url(job)).data.decode("utf-8-sig"))))
    assert len(rows) == 6


def test_starting_an_export_needs_the_csrf_token(csrf_app, desk):
    from tests.factories.accounts import PASSWORD

    client = csrf_app.test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"email": desk.owner.email, "password": PASSWORD, "csrf_token": token})
    url = f"/console/events/{desk.event.id}/exports/orders.csv"
    assert client.post(url).status_code == 400
    assert not Job.select().where(Job.kind == "export").exists()
    page = client.get(f"/console/events/{desk.event.id}/exports").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page) or re.search(
        r'name="csrf-token" content="([^"]+)"', page
    )
    assert client.post(url, data={"csrf_token": token.group(1)}).status_code == 303


def test_an_export_job_writes_its_columns_in_the_language_of_whoever_asked(desk, small_limit):
    from webapp.accounts.models import User

    User.update(language="id").where(User.id == desk.owner.id).execute()
    for name in ("Ana", "Budi", "Citra"):
        make_registrant(desk.event, buyer_name=name)
    job = start(desk.client, desk.event, fmt="csv")
    rows = list(csv.reader(io.StringIO(desk.client.get(file_url(job)).data.decode("utf-8-sig"))))
    assert "Kelompok peserta" in rows[0] and "Nama" in rows[0]
    assert {row[rows[0].index("Kelompok peserta")] for row in rows[1:]} == {"Attendees"}
