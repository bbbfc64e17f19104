"""Jobs whose worker died: shown as stalled, then resumed where they stopped (nothing done twice)
or failed with the reason by the minute's sweep."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories.orders import make_registrant
from tests.registrants.test_import import people, run_import
from webapp.console import jobs
from webapp.console.models import ConsoleJob
from webapp.db import utcnow
from webapp.mail import notify
from webapp.mail.models import Outbox
from webapp.orders.models import Registrant
from webapp.registrants import bulk, imports
from webapp.registrants.listing import RegistrantFilters


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
    ConsoleJob.update(heartbeat_at=old).where(ConsoleJob.id == job.id).execute()


def tickets_sent(registrant) -> int:
    return Outbox.select().where((Outbox.registrant_id == registrant.id) & (Outbox.kind == "ticket")).count()


def test_a_resend_job_resumes_after_the_last_registrant_and_sends_nobody_twice(desk, monkeypatch):
    registrants = [make_registrant(desk.event, buyer_name=f"Person {i}") for i in range(7)]
    before = {r.id: tickets_sent(r) for r in registrants}
    monkeypatch.setattr(bulk, "CHUNK", 3)  # the worker dies inside the second chunk
    die_on_call(monkeypatch, notify, "resend_ticket", 5)
    with pytest.raises(WorkerDied):
        bulk.start_job(desk.org.id, desk.event, "resend", RegistrantFilters(), actor=desk.owner)
    job = ConsoleJob.get()
    assert (job.state, job.processed, job.updated_rows) == ("running", 4, 4)
    assert job.last_done_id == registrants[3].id
    monkeypatch.undo()

    assert jobs.recover_stalled().resumed == 0  # a fresh heartbeat: still working, left alone
    age(job)
    assert jobs.recover_stalled().resumed == 1
    job = ConsoleJob.get_by_id(job.id)
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
    job = ConsoleJob.get()
    age(job)
    jobs.recover_stalled()
    job = ConsoleJob.get_by_id(job.id)
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
    job = ConsoleJob.get(ConsoleJob.kind == "import")
    assert (job.state, job.processed, job.created_rows) == ("running", 2, 2)
    monkeypatch.undo()
    monkeypatch.setattr(imports, "BATCH", 2)

    age(job)
    assert jobs.recover_stalled().resumed == 1
    job = ConsoleJob.get_by_id(job.id)
    assert (job.state, job.processed, job.created_rows, job.failed_rows) == ("done", 6, 5, 1)
    # The repeated email is still caught though its first row was imported before the resume.
    assert job.row_errors == [{"row": 7, "email": "p0@example.org", "errors": ["the same email as row 2 of this file"]}]
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
    job = ConsoleJob.get()
    running = desk.client.get(f"/console/jobs/{job.id}", headers={"HX-Request": "true"}).text
    assert 'data-state="running"' in running and "stalled" not in running
    age(job)
    stalled = desk.client.get(f"/console/jobs/{job.id}", headers={"HX-Request": "true"}).text
    assert 'data-state="stalled"' in stalled and "stalled at 1 of 2 rows" in stalled
    assert 'hx-trigger="load delay:10s"' in stalled  # still polls, slowly, for the resumption
    jobs.recover_stalled()
    done = desk.client.get(f"/console/jobs/{job.id}").text
    assert 'data-state="done"' in done and "<strong>2</strong> done" in done and "hx-trigger" not in done


def test_a_job_started_without_heartbeats_is_failed_with_the_reason(desk):
    job = ConsoleJob.create(
        organization=desk.org.id, event=desk.event, kind="bulk", state="running", total=10, processed=4,
        params={"action": "resend", "label": "", "filters": {}}, started_at=utcnow() - dt.timedelta(minutes=30),
    )  # fmt: skip
    result = jobs.recover_stalled()
    assert (result.resumed, result.failed) == (0, 1)
    job = ConsoleJob.get_by_id(job.id)
    assert job.state == "failed" and "cannot resume safely" in job.error
    page = desk.client.get(f"/console/jobs/{job.id}").text
    assert "The job stopped:" in page and "cannot resume safely" in page and "hx-trigger" not in page


def test_a_job_that_keeps_killing_its_worker_is_given_up(desk, monkeypatch):
    make_registrant(desk.event)
    die_on_call(monkeypatch, notify, "resend_ticket", 1)
    with pytest.raises(WorkerDied):
        bulk.start_job(desk.org.id, desk.event, "resend", RegistrantFilters(), actor=desk.owner)
    job = ConsoleJob.get()
    for _ in range(jobs.MAX_RUNS - 1):
        age(job)
        monkeypatch.undo()
        die_on_call(monkeypatch, notify, "resend_ticket", 1)
        with pytest.raises(WorkerDied):
            jobs.recover_stalled()
    assert ConsoleJob.get_by_id(job.id).runs == jobs.MAX_RUNS
    age(job)
    assert jobs.recover_stalled().failed == 1
    job = ConsoleJob.get_by_id(job.id)
    assert job.state == "failed" and f"stopped {jobs.MAX_RUNS} times" in job.error


def test_an_import_whose_file_is_gone_cannot_resume(desk, monkeypatch):
    from webapp.orders import service as orders

    die_on_call(monkeypatch, orders, "add_participants_each", 1)
    with pytest.raises(WorkerDied):
        run_import(desk, b"name,email\nAna,ana@example.org\n")
    monkeypatch.undo()
    job = ConsoleJob.get(ConsoleJob.kind == "import")
    imports.job_file(job).unlink()
    age(job)
    assert jobs.recover_stalled().failed == 1
    assert "Upload the file again" in ConsoleJob.get_by_id(job.id).error


def test_the_run_a_resume_replaced_stops_without_writing(desk):
    job = ConsoleJob.create(
        organization=desk.org.id, event=desk.event, kind="bulk", state="queued",
        params={"action": "resend", "label": "", "ids": []},
    )  # fmt: skip
    first = jobs.claim(job.id)
    ConsoleJob.update(state="queued").where(ConsoleJob.id == job.id).execute()  # the sweep's resume
    second = jobs.claim(job.id)
    assert (first.runs, second.runs) == (1, 2)
    with pytest.raises(jobs.JobLost):
        jobs.checkpoint(first, processed=99)
    jobs.fail(first, "the old run gave up")
    jobs.checkpoint(second, processed=1)
    job = ConsoleJob.get_by_id(job.id)
    assert (job.state, job.processed, job.error) == ("running", 1, None)


def test_a_queued_job_whose_task_was_lost_is_handed_to_the_queue_again(desk):
    make_registrant(desk.event)
    job = ConsoleJob.create(
        organization=desk.org.id, event=desk.event, kind="bulk", state="queued",
        params={"action": "cancel", "label": "", "filters": {}}, created_at=utcnow() - dt.timedelta(minutes=20),
    )  # fmt: skip
    assert jobs.recover_stalled().requeued == 1
    job = ConsoleJob.get_by_id(job.id)
    assert job.state == "done" and job.updated_rows == 1
