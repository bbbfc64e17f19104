"""The ticket PDF of a large order: built by a job with a progress bar (console and buyer), then
served from storage while it is fresh, built again once a ticket changed."""

from __future__ import annotations

import pytest

from tests.factories.accounts import make_member
from tests.factories.tickets import make_paid_order, pdf_text
from tests.registrants.test_job_resume import resume
from webapp.orders.models import Registrant
from webapp.tickets import document, order_pdf_jobs
from webapp.work.models import Job

NAMES = ["Ana Putri", "Budi Santoso", "Citra Dewi", "Dewi Lestari", "Eko Prasetyo"]


@pytest.fixture
def large(monkeypatch):
    """Orders of more than two tickets count as large; chunks of two."""
    monkeypatch.setattr(order_pdf_jobs, "LARGE_ORDER", 2)
    monkeypatch.setattr(order_pdf_jobs, "CHUNK", 2)


def _manager(auth, order):
    return auth.client_for(make_member(order.organization, "manager"), order.organization)


def test_a_small_order_downloads_at_once(app, auth, large):
    order = make_paid_order(NAMES[:2])
    response = _manager(auth, order).get(f"/console/orders/{order.id}/tickets.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert not Job.select().exists()


def test_a_large_order_is_built_by_a_job_whose_progress_leads_to_the_download(app, auth, large):
    order = make_paid_order(NAMES)
    client = _manager(auth, order)
    asked = client.get(f"/console/orders/{order.id}/tickets.pdf")
    job = Job.get(Job.kind == order_pdf_jobs.KIND)
    assert asked.status_code == 303 and asked.headers["Location"].endswith(f"/console/jobs/{job.id}")
    assert (job.state, job.processed, job.total) == ("done", 5, 5)  # Huey runs at once in tests
    page = client.get(f"/console/jobs/{job.id}").text
    assert f"/console/orders/{order.id}/tickets.pdf" in page and "done: 5 tickets" in page
    pdf = client.get(f"/console/orders/{order.id}/tickets.pdf")
    assert pdf.status_code == 200
    text = pdf_text(pdf.data)
    assert all(name in text for name in NAMES)
    assert Job.select().count() == 1  # served from storage: no second build


def test_a_ticket_changed_since_makes_the_next_download_build_it_again(app, auth, large):
    order = make_paid_order(NAMES)
    client = _manager(auth, order)
    client.get(f"/console/orders/{order.id}/tickets.pdf")
    Registrant.update(name="Fajar Nugroho").where(Registrant.name == "Eko Prasetyo").execute()
    again = client.get(f"/console/orders/{order.id}/tickets.pdf")
    assert again.status_code == 303 and Job.select().count() == 2
    text = pdf_text(client.get(f"/console/orders/{order.id}/tickets.pdf").data)
    assert "Fajar Nugroho" in text and "Eko Prasetyo" not in text


def test_the_buyer_sees_the_progress_then_downloads(client, large):
    order = make_paid_order(NAMES, locale="id")
    asked = client.get(f"/tickets/{order.secret}.pdf")
    assert asked.status_code == 303 and asked.headers["Location"].endswith(f"/tickets/{order.secret}/building")
    page = client.get(asked.headers["Location"], headers={"Accept-Language": "id"})
    assert page.status_code == 200 and 'data-state="done"' in page.text
    fragment = client.get(f"/tickets/{order.secret}/building", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "HX-Request" in fragment.headers["Vary"]
    pdf = client.get(f"/tickets/{order.secret}.pdf")
    assert pdf.status_code == 200 and "Ana Putri" in pdf_text(pdf.data)
    assert client.get(f"/tickets/{order.secret}x/building").status_code == 404


def test_a_build_whose_worker_died_renders_only_the_chunks_left(app, auth, large, monkeypatch):
    class WorkerDied(BaseException):
        pass

    order = make_paid_order(NAMES)
    rendered = []
    calls = {"n": 0}
    real = document.render

    def render(data):
        calls["n"] += 1
        if calls["n"] == 2:  # the worker dies rendering the second chunk
            raise WorkerDied()
        rendered.append([t["name"] for t in data["tickets"]])
        return real(data)

    monkeypatch.setattr(document, "render", render)
    with pytest.raises(WorkerDied):
        _manager(auth, order).get(f"/console/orders/{order.id}/tickets.pdf")
    job = Job.get()
    assert (job.state, job.processed, job.checkpoint["chunks"]) == ("running", 2, 1)

    rendered.clear()
    resume()
    job = Job.get_by_id(job.id)
    assert (job.state, job.processed, job.runs) == ("done", 5, 2)
    assert rendered == [NAMES[2:4], NAMES[4:]]  # the first chunk is not rendered again
    assert all(name in pdf_text(order_pdf_jobs.service.fresh_order_pdf(order)) for name in NAMES)
