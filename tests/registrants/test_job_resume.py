"""Jobs whose worker died: shown as quiet, then, once the work engine's lease on their work item
lapses, resumed where they stopped (nothing done twice) or failed with the reason."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories.orders import make_registrant
from tests.registrants.test_import import people, run_import
from webapp import work
from webapp.db import utcnow
from webapp.mail import notify
from webapp.mail.models import Outbox
from webapp.orders.models import Registrant
from webapp.registrants import bulk, imports
from webapp.registrants.listing import RegistrantFilters
from webapp.storage import storage
from webapp.work import jobs
from webapp.work.models import Job, WorkItem


class WorkerDied(BaseException):
    """The worker process going away mid-transaction (nothing catches it, like a SIGKILL)."""


def die_on_call(monkeypatch, target, name, call_number):
    """Make target.name kill the worker on its `call_number`-th call (the earlier calls run)."""
    original = getattr(target, name)
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == call_number:
            raise WorkerDied()
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, wrapper)
    return calls


def age(job, minutes=10):
    """Move the job's last heartbeat back, as if its worker had been silent that long."""
    old = utcnow() - dt.timedelta(minutes=minutes)
    Job.update(heartbeat_at=old).where(Job.id == job.id).execute()


def resume() -> int:
    """As if the lease of the dead worker's work item had run out: the next worker's run."""
    lapsed = utcnow() - dt.timedelta(seconds=1)
    WorkItem.update(leased_until=lapsed).where(WorkItem.lease.is_null(False)).execute()
    return work.run_ready()


def tickets_sent(registrant) -> int:
    return Outbox.select().where((Outbox.registrant_id == registrant.id) & (Outbox.kind == "ticket")).count()


def test_a_resend_job_resumes_after_the_last_registrant_and_sends_nobody_twice(desk, monkeypatch):
    registrants = [make_registrant(desk.event, buyer_name=f"Person {i}") for i in range(7)]
    before = {r.id: tickets_sent(r) for r in registrants}
    monkeypatch.setattr(bulk, "CHUNK", 3)  # the worker dies inside the second chunk
    die_on_call(monkeypatch, notify, "resend_ticket", 5)
    with pytest.raises(WorkerDied):
        bulk.start_job(desk.org.id, desk.event, "resend", RegistrantFilters(), actor=desk.owner)
    job = Job.get()
    assert (job.state, job.processed, job.updated_rows) == ("running", 4, 4)
    assert job.checkpoint == {"last_done_id": registrants[3].id}
    monkeypatch.undo()

    work.run_ready()  # its work item is still leased: the job is left alone
    assert Job.get_by_id(job.id).state == "running"
    resume()
    job = Job.get_by_id(job.id)
    assert (job.state, job.processed, job.total, job.updated_rows, job.runs) == ("done", 7, 7, 7, 2)
    assert all(tickets_sent(r) == before[r.id] + 1 for r in registrants)


def test_a_cancel_job_over_a_filter_resumes_on_what_is_left(desk, monkeypatch):
    vips = [make_registrant(desk.event, desk.vip, buyer_name=f"Vip {i}") for i in range(3)]
    regular = make_registrant(desk.event, buyer_name="Regular")
    from webapp.orders import service as orders

    die_on_call(monkeypatch, orders, "cancel_registrant", 2)
    filters = RegistrantFilters(product=desk.vip.id, canceled="no")
    with pytest.raises(WorkerDied):
        bulk.start_job(desk.org.id, desk.event, "cancel", filters, actor=desk.owner)
    monkeypatch.undo()
    job = Job.get()
    resume()
    job = Job.get_by_id(job.id)
    # The first VIP no longer matches "not canceled", yet counts as handled: 3 of 3.
    assert (job.state, job.processed, job.total, job.updated_rows) == ("done", 3, 3, 3)
    assert all(Registrant.get_by_id(v.id).canceled for v in vips)
    assert not Registrant.get_by_id(regular.id).canceled


def test_an_import_resumes_after_the_last_saved_batch(desk, monkeypatch):
    from webapp.orders import service as orders

    monkeypatch.setattr(imports, "BATCH", 2)
    die_on_call(monkeypatch, orders, "add_participants_each", 2)  # dies in the second batch
    rows = [f"Person {i},p{i}@example.org" for i in range(5)] + ["Again,p0@example.org"]
    data = ("name,email\n" + "\n".join(rows) + "\n").encode()
    with pytest.raises(WorkerDied):
        run_import(desk, data)
    job = Job.get(Job.kind == "import")
    assert (job.state, job.processed, job.created_rows) == ("running", 2, 2)
    monkeypatch.undo()
    monkeypatch.setattr(imports, "BATCH", 2)

    resume()
    job = Job.get_by_id(job.id)
    assert (job.state, job.processed, job.created_rows, job.failed_rows) == ("done", 6, 5, 1)
    # The repeated email is still caught though its first row was imported before the resume.
    assert [{k: v for k, v in e.items() if k != "errors_i18n"} for e in job.row_errors] == [
        {"row": 7, "email": "p0@example.org", "errors": ["the same email as row 2 of this file"]}
    ]
    imported = people(desk)
    assert sorted(imported) == [f"p{i}@example.org" for i in range(5)]
    assert Registrant.select().where(Registrant.event == desk.event.id).count() == 5


def test_the_progress_page_shows_a_stalled_job_then_its_resumption(desk, monkeypatch):
    make_registrant(desk.event, buyer_name="Ana")
    make_registrant(desk.event, buyer_name="Budi")
    die_on_call(monkeypatch, notify, "resend_ticket", 2)
    with pytest.raises(WorkerDied):
        bulk.start_job(desk.org.id, desk.event, "resend", RegistrantFilters(), actor=desk.owner)
    monkeypatch.undo()
    job = Job.get()
    running = desk.client.get(f"/console/jobs/{job.id}", headers={"HX-Request": "true"}).text
    assert 'data-state="running"' in running and "stalled" not in running
    age(job)
    stalled = desk.client.get(f"/console/jobs/{job.id}", headers={"HX-Request": "true"}).text
    assert 'data-state="stalled"' in stalled and "no progress since" in stalled and "at 1 of 2 rows" in stalled
    assert 'hx-trigger="load delay:10s"' in stalled  # still polls, slowly, for the resumption
    resume()
    done = desk.client.get(f"/console/jobs/{job.id}").text
    assert 'data-state="done"' in done and "<strong>2</strong> done" in done and "hx-trigger" not in done


def test_a_job_that_keeps_killing_its_worker_is_given_up(desk, monkeypatch):
    make_registrant(desk.event)
    die_on_call(monkeypatch, notify, "resend_ticket", 1)
    with pytest.raises(WorkerDied):
        bulk.start_job(desk.org.id, desk.event, "resend", RegistrantFilters(), actor=desk.owner)
    job = Job.get()
    for _ in range(jobs.MAX_RUNS - 1):
        monkeypatch.undo()
        die_on_call(monkeypatch, notify, "resend_ticket", 1)
        with pytest.raises(WorkerDied):
            resume()
    assert Job.get_by_id(job.id).runs == jobs.MAX_RUNS
    resume()
    job = Job.get_by_id(job.id)
    assert job.state == "failed" and f"stopped {jobs.MAX_RUNS} times" in job.error


def test_an_import_whose_file_is_gone_cannot_resume(desk, monkeypatch):
    from webapp.orders import service as orders

    die_on_call(monkeypatch, orders, "add_participants_each", 1)
    with pytest.raises(WorkerDied):
        run_import(desk, b"name,email\nAna,ana@example.org\n")
    monkeypatch.undo()
    job = Job.get(Job.kind == "import")
    storage().delete(imports.job_file(job))
    resume()
    job = Job.get_by_id(job.id)
    assert job.state == "failed" and "Upload the file again" in job.error


def test_the_run_a_resume_replaced_stops_without_writing(desk):
    job = Job.create(
        organization_id=desk.org.id, event_id=desk.event.id, kind="bulk", state="queued",
        params={"action": "resend", "label": "", "ids": []},
    )  # fmt: skip
    first = jobs._start(job.id)
    second = jobs._start(job.id)  # its worker seemed dead: the lease lapsed, another run took it
    assert (first.runs, second.runs) == (1, 2)
    with pytest.raises(jobs.JobLost):
        jobs.checkpoint(first, processed=99)
    jobs.fail(first, "the old run gave up")
    jobs.checkpoint(second, processed=1)
    job = Job.get_by_id(job.id)
    assert (job.state, job.processed, job.error) == ("running", 1, None)
