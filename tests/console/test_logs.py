"""Mail log, check-in log, job progress fragment."""

from __future__ import annotations

import datetime as dt

from tasks import huey
from tests.factories.checkin import make_checkin_list
from tests.factories.orders import make_registrant
from webapp import work
from webapp.accounts.audit import AuditEntry
from webapp.checkin import service as checkin
from webapp.db import utcnow
from webapp.mail.models import Outbox
from webapp.mail.service import queue_email
from webapp.work.models import Job, WorkItem


def mail(desk, to, state="queued", error=None):
    message = queue_email(
        kind="ticket", to_email=to, subject=f"Your ticket {to}", text_body="hi", organization=desk.org
    )
    Outbox.update(state=state, last_error=error).where(Outbox.id == message.id).execute()
    return message


def test_mail_log_filters_by_state_and_shows_errors(desk):
    mail(desk, "ok@example.org", state="sent")
    mail(desk, "bad@example.org", state="failed", error="550 mailbox unavailable")
    page = desk.client.get("/console/mail?state=failed").text
    assert "bad@example.org" in page and "550 mailbox unavailable" in page
    assert "ok@example.org" not in page
    fragment = desk.client.get("/console/mail?q=ok%40", headers={"HX-Request": "true"}).text
    assert "ok@example.org" in fragment and "<html" not in fragment


def test_mail_resend_queues_a_copy_and_records_it(desk):
    failed = mail(desk, "bad@example.org", state="failed", error="timeout")
    response = desk.client.post(f"/console/mail/{failed.id}/resend")
    assert response.status_code == 303
    assert Outbox.select().where(Outbox.to_email == "bad@example.org").count() == 2
    assert AuditEntry.select().where(AuditEntry.action == "mail.resend").count() == 1


def test_mail_of_another_organization_is_404(desk):
    from tests.factories.accounts import make_org

    other = queue_email(kind="ticket", to_email="x@example.org", subject="s", text_body="t", organization=make_org())
    assert desk.client.get(f"/console/mail/{other.id}").status_code == 404
    assert desk.client.post(f"/console/mail/{other.id}/resend").status_code == 404
    assert "x@example.org" not in desk.client.get("/console/mail").text


def test_checkin_log_lists_admitted_and_refused_scans(desk):
    checkin_list = make_checkin_list(desk.event)
    r = make_registrant(desk.event, buyer_name="Ana")
    checkin.redeem(desk.event, r.ticket_secret, checkin_list=checkin_list)
    checkin.redeem(desk.event, r.ticket_secret, checkin_list=checkin_list)
    page = desk.client.get(f"/console/events/{desk.event.id}/checkins").text
    assert "Ana" in page and "Already checked in" in page
    refused = desk.client.get(f"/console/events/{desk.event.id}/checkins?result=error").text
    assert refused.count("Already checked in") >= 1 and "badge-ok" not in refused


def test_progress_fragment_polls_itself_until_done(desk):
    job = Job.create(organization_id=desk.org.id, event_id=desk.event.id, kind="bulk", state="running", total=10, processed=4,
                            params={"action": "cancel"})  # fmt: skip
    fragment = desk.client.get(f"/console/jobs/{job.id}", headers={"HX-Request": "true"}).text
    assert 'hx-trigger="load delay:500ms"' in fragment and 'hx-swap="outerHTML"' in fragment
    assert 'value="40"' in fragment and "<html" not in fragment
    Job.update(state="done", processed=10).execute()
    fragment = desk.client.get(f"/console/jobs/{job.id}", headers={"HX-Request": "true"}).text
    assert "hx-trigger" not in fragment and 'value="100"' in fragment


def test_background_work_page_shows_what_waits_and_warns_when_people_wait_too_long(desk, app):
    assert "Nothing is waiting" in desk.client.get("/console/work").text
    huey.immediate = False  # nobody runs the work: it waits, as behind a stopped worker
    try:
        work.record("mail.deliver", {"message_id": 1})
        work.record("registrants.run_import_job", {"job_id": 1}, priority=work.BULK)
    finally:
        huey.immediate = True
    page = desk.client.get("/console/work").text
    assert "mail.deliver" in page and "A person" in page and "Bulk work" in page
    assert "more than a minute" not in page
    WorkItem.update(run_after=utcnow() - dt.timedelta(minutes=3)).execute()
    fragment = desk.client.get("/console/work", headers={"HX-Request": "true"})
    assert "more than a minute" in fragment.text and "<html" not in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
