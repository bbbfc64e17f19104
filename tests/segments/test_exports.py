"""A segment's CSV export: a job with progress on the segment's page, cells escaped by the one
rule, a file for the organization's managers only, written in slices that resume without writing
a member twice."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.factories.accounts import make_member, make_org
from tests.factories.contacts import make_contact, make_label
from tests.registrants.test_job_resume import WorkerDied, die_on_call, resume
from tests.segments.helpers import cond, group
from webapp.contacts import service as contacts
from webapp.segments import exports, service
from webapp.storage import storage
from webapp.work import jobs
from webapp.work.models import Job

EVIL = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def manager(auth, org):
    return auth.client_for(make_member(org, "manager"), org)


def _vip_segment(org, *names):
    vip = make_label(org, "VIP")
    for i, name in enumerate(names):
        contacts.add_label(make_contact(org, f"member{i}@example.org", name=name, custom={"city": "Bandung"}), "VIP")
    make_contact(org, "outsider@example.org")
    return service.create_segment(org.id, name="VIPs", tree=group(cond("labels", "any_of", [vip.id])))


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


def test_an_export_runs_as_a_job_and_its_file_holds_every_member_escaped(manager, org, auth):
    segment = _vip_segment(org, EVIL, "Ana", "Budi")
    response = manager.post(f"/console/segments/{segment.id}/export")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/console/segments/{segment.id}#segment-export")
    job = Job.get(Job.kind == exports.KIND)
    assert (job.state, job.processed, job.total, job.organization_id) == ("done", 3, 3, org.id)

    page = manager.get(f"/console/segments/{segment.id}").get_data(as_text=True)
    file_url = f"/console/segments/exports/{job.id}/file"
    assert f'href="{file_url}"' in page and 'data-progress="100"' in page
    assert (
        manager.get(f"/console/jobs/{job.id}")
        .headers["Location"]
        .endswith(f"/console/segments/{segment.id}#segment-export")
    )

    response = manager.get(file_url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    assert job.params["filename"] in response.headers["Content-Disposition"]
    rows = _rows(response.data)
    assert rows[0][:2] == ["email", "name"] and rows[0][-1] == "custom:city"
    assert sorted(row[1] for row in rows[1:]) == ["'" + EVIL, "Ana", "Budi"]
    assert all(row[rows[0].index("labels")] == "VIP" for row in rows[1:])

    stranger = auth.client_for(make_member(make_org(), "manager"))
    assert stranger.get(file_url).status_code == 404


def test_a_double_click_starts_one_export(manager, org, monkeypatch):
    segment = _vip_segment(org, "Ana")
    monkeypatch.setattr(jobs, "_enqueue", lambda job: None)  # nothing runs: the first stays queued
    manager.post(f"/console/segments/{segment.id}/export")
    manager.post(f"/console/segments/{segment.id}/export")
    assert Job.select().where(Job.kind == exports.KIND).count() == 1
    page = manager.get(f"/console/segments/{segment.id}").get_data(as_text=True)
    assert "starting" in page and 'hx-trigger="load delay:500ms"' in page


def test_an_export_whose_worker_died_resumes_and_writes_no_member_twice(org, monkeypatch):
    segment = _vip_segment(org, *[f"Person {i}" for i in range(7)])
    monkeypatch.setattr(exports, "BATCH", 2)
    # Checkpoints: the header, then one per batch. The worker dies at the third: the second batch
    # is in the file but not counted.
    die_on_call(monkeypatch, jobs, "checkpoint", 3)
    with pytest.raises(WorkerDied):
        exports.start(segment, actor=None)
    job = Job.get(Job.kind == exports.KIND)
    assert (job.state, job.processed) == ("running", 2)
    monkeypatch.undo()
    monkeypatch.setattr(exports, "BATCH", 2)
    resume()
    job = Job.get_by_id(job.id)
    assert (job.state, job.processed, job.runs) == ("done", 7, 2)
    rows = _rows(storage().read(exports.job_file(job)))
    assert sorted(row[0] for row in rows[1:]) == [f"member{i}@example.org" for i in range(7)]


def test_an_export_of_a_deleted_segment_fails_with_the_reason(org, monkeypatch):
    segment = _vip_segment(org, "Ana")
    monkeypatch.setattr(jobs, "_enqueue", lambda job: None)
    job = exports.start(segment, actor=None)
    service.delete_segment(segment)
    jobs.run(job.id)
    job = Job.get_by_id(job.id)
    assert job.state == "failed" and re.search("segment was deleted", job.error)
