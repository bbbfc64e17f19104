"""Texts the app stores and people read later (audit entries, timeline entries, import row errors,
order flags) are shown in the reader's language; integrators keep the English text."""

from __future__ import annotations

import ast
import io
import pathlib

import pytest

import tasks.work
from tasks import huey
from tests.factories.accounts import make_member, make_org
from tests.factories.api import make_api_key
from tests.factories.catalog import make_product
from tests.factories.contacts import make_contact
from tests.factories.events import make_event
from webapp import work
from webapp.accounts import api_keys, audit
from webapp.accounts.audit import AuditEntry
from webapp.accounts.models import User
from webapp.contacts import service as contacts
from webapp.contacts.models import Activity
from webapp.i18n import render_stored, stored_text, verbatim
from webapp.mail import content
from webapp.mail.models import Automation
from webapp.orders import service as orders
from webapp.orders.signed_secrets import set_signed_tickets
from webapp.work import jobs
from webapp.work.models import Job

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def org(app):
    return make_org("Toko Acara")


def _reader(auth, org, role: str, language: str):
    user = make_member(org, role)
    User.update(language=language).where(User.id == user.id).execute()
    return auth.client_for(user, org), user


def _page(client, path: str) -> str:
    response = client.get(path, headers={"Accept-Language": "en"})
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_an_audit_entry_is_read_in_each_readers_language(auth, org):
    event = make_event(org, name="Malam Peluncuran")
    indonesian, boss = _reader(auth, org, "admin", "id")
    english, _ = _reader(auth, org, "admin", "en")
    set_signed_tickets(event, True, actor=boss)

    entry = AuditEntry.get(AuditEntry.action == "event.signed_tickets")
    assert entry.summary == "Signed ticket secrets on for Malam Peluncuran"  # stored in English
    page = _page(indonesian, "/console/audit")
    assert "Rahasia tiket bertanda tangan aktif untuk Malam Peluncuran" in page  # "on" translated too
    assert "Rahasia tiket bertanda tangan diubah" in page  # the action's label
    assert "Signed ticket secrets on for" not in page
    page = _page(english, "/console/audit")
    assert "Signed ticket secrets on for Malam Peluncuran" in page and "Signed ticket secrets changed" in page


def test_an_entry_stored_before_messages_keeps_its_text_and_an_unknown_action_shows_its_code(auth, org):
    AuditEntry.create(organization=org, actor="system", action="legacy.thing", summary="Moved Ana up")
    indonesian, _ = _reader(auth, org, "admin", "id")
    page = _page(indonesian, "/console/audit")
    assert "Moved Ana up" in page and "legacy.thing" in page


def test_a_timeline_entry_is_read_in_each_readers_language_and_the_api_keeps_english(auth, org, client):
    contact = make_contact(org, "ana@example.org", name="Ana")
    contacts.add_label(contact, "VIP")
    indonesian, _ = _reader(auth, org, "manager", "id")
    english, _ = _reader(auth, org, "manager", "en")

    assert "Label VIP ditambahkan" in _page(indonesian, f"/console/contacts/{contact.id}")
    assert "Label VIP added" in _page(english, f"/console/contacts/{contact.id}")
    _, token = make_api_key(org)
    body = client.get(f"/api/v1/contacts/{contact.id}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert "Label VIP added" in [a["summary"] for a in body["timeline"]]


def test_an_old_timeline_entry_keeps_its_english_text(auth, org):
    contact = make_contact(org, "budi@example.org")
    Activity.create(organization=org, contact=contact, kind="note", summary="Called about the invoice")
    indonesian, _ = _reader(auth, org, "manager", "id")
    assert "Called about the invoice" in _page(indonesian, f"/console/contacts/{contact.id}")


@pytest.fixture
def worker_runs_jobs(monkeypatch):
    """Jobs wait for a worker instead of running inside the request that starts them; the test
    runs them as the worker does, outside any request."""
    monkeypatch.setattr(tasks.work, "_asked_until", {})
    huey.immediate = False
    huey.flush()
    yield lambda: work.run_ready()
    huey.flush()
    huey.immediate = True


def test_import_row_errors_written_by_the_worker_are_read_in_each_readers_language(auth, org, worker_runs_jobs):
    indonesian, _ = _reader(auth, org, "manager", "id")
    english, _ = _reader(auth, org, "manager", "en")
    upload = english.post(
        "/console/contacts/import",
        data={"file": (io.BytesIO(b"email,name\nnot-an-email,Ana\n"), "people.csv")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 303
    job = Job.select().order_by(Job.id.desc()).get()
    assert (
        english.post(f"/console/contacts/import/{job.id}", data={"col_0": "email", "col_1": "name"}).status_code == 303
    )
    worker_runs_jobs()

    job = Job.get_by_id(job.id)
    assert (job.state, job.failed_rows) == ("done", 1)
    assert job.row_errors[0]["message"] == "'not-an-email' is not an email address."
    assert "&#39;not-an-email&#39; bukan alamat email." in _page(indonesian, f"/console/contacts/import/{job.id}")
    assert "&#39;not-an-email&#39; is not an email address." in _page(english, f"/console/contacts/import/{job.id}")


def test_a_job_the_worker_gives_up_shows_why_in_each_readers_language(auth, org):
    event = make_event(org)
    job = Job.create(organization_id=org.id, event_id=event.id, kind="bulk", state="running", runs=jobs.MAX_RUNS)
    jobs.run(job.id)  # as the worker runs it: outside any request
    job = Job.get_by_id(job.id)
    assert job.state == "failed" and job.error.startswith(f"Its worker stopped {jobs.MAX_RUNS} times")
    indonesian, _ = _reader(auth, org, "manager", "id")
    english, _ = _reader(auth, org, "manager", "en")
    fragment = {"HX-Request": "true", "Accept-Language": "en"}
    page = indonesian.get(f"/console/jobs/{job.id}", headers=fragment).get_data(as_text=True)
    assert f"Pekerjaan berhenti: Pekerjanya berhenti {jobs.MAX_RUNS} kali" in page
    page = english.get(f"/console/jobs/{job.id}", headers=fragment).get_data(as_text=True)
    assert f"The job stopped: Its worker stopped {jobs.MAX_RUNS} times" in page


def test_a_message_whose_english_text_changed_without_it_shows_the_english_text(app):
    message = stored_text("Canceled %(registrant)s", registrant="Ana").to_json()
    with app.test_request_context():
        assert render_stored(message, "Canceled Ana") == "Canceled Ana"
        assert render_stored(message, "Refunded by hand") == "Refunded by hand"
        assert render_stored({"msgid": "%(x)s", "params": {}}, "kept") == "kept"  # unreadable: the text
        assert render_stored(None, "kept") == "kept"


def test_an_english_only_summary_is_refused(org):
    with pytest.raises(TypeError):
        audit.record(org.id, "event.update", summary="Edited the event")
    assert audit.record(org.id, "event.update", summary=verbatim("Launch")).summary_i18n == {
        "msgid": "%(text)s",
        "params": {"text": "Launch"},
    }


# Every call site of a stored text passes a marked message ------------------------------------------

_STORED_CALLS = {"audit.record", "record_activity", "contacts.record_activity", "service.record_activity"}
_MARKERS = {"stored_text", "verbatim", "stored_label", "stored_from", "_order_end_summary", "_summary", "describe_rule"}


def _marked(node: ast.expr) -> bool:
    """A marker call, a conditional between marked values, or a variable (checked where it is made
    by this same walk, and at run time by stored_columns)."""
    if isinstance(node, ast.IfExp):
        return _marked(node.body) and _marked(node.orelse)
    if isinstance(node, ast.BoolOp):
        return all(_marked(v) for v in node.values)
    if isinstance(node, ast.Call):
        return ast.unparse(node.func).split(".")[-1] in _MARKERS
    return isinstance(node, ast.Name)


def _calls():
    for path in sorted((ROOT / "webapp").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                yield path.relative_to(ROOT), node


def test_every_audit_and_timeline_call_site_passes_a_marked_message():
    unmarked, seen = [], 0
    for path, call in _calls():
        if ast.unparse(call.func) not in _STORED_CALLS:
            continue
        seen += 1
        for keyword in call.keywords:
            if keyword.arg == "summary" and not _marked(keyword.value):
                unmarked.append(f"{path}:{call.lineno}")
    assert seen > 130
    assert unmarked == []


def test_every_stored_message_is_a_literal_pybabel_extracts():
    not_literal = [
        f"{path}:{call.lineno}"
        for path, call in _calls()
        if ast.unparse(call.func) == "stored_text"
        and path.name != "i18n.py"
        and not (call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str))
    ]
    assert not_literal == []
    assert "-k stored_text" in (ROOT / "babel.cfg").read_text()


def test_every_audited_action_has_a_label():
    codes = {
        call.args[1].value
        for _, call in _calls()
        if ast.unparse(call.func) == "audit.record" and len(call.args) > 1 and isinstance(call.args[1], ast.Constant)
    }
    assert len(codes) > 100
    assert sorted(codes - set(audit.ACTION_LABELS)) == []


def test_an_events_automations_and_emails_are_named_in_the_readers_language(auth, org):
    event = make_event(org)
    Automation.create(organization=org.id, event=event, name="Pengingat", trigger="before_start", delay_minutes=2880)
    Automation.create(organization=org.id, event=event, name="Terima kasih", trigger="paid", delay_minutes=60)
    indonesian, _ = _reader(auth, org, "manager", "id")
    english, _ = _reader(auth, org, "manager", "en")
    page = _page(indonesian, f"/console/events/{event.id}/automations")
    assert "2 hari sebelum acara dimulai" in page and "1 jam setelah pembayaran" in page
    assert "Sebelum acara dimulai" in page  # the form's choices
    assert "before the event starts" not in page.lower() and "after payment" not in page.lower()
    page = _page(english, f"/console/events/{event.id}/automations")
    assert "2 days before the event starts" in page and "1 hour after payment" in page
    emails = _page(indonesian, f"/console/events/{event.id}/emails")
    assert "Email tiket — setelah pendaftaran berhasil" in emails
    assert "Ticket email — after a successful registration" not in emails


def test_an_api_keys_limits_and_people_added_at_the_console_are_audited_in_the_readers_language(auth, org):
    indonesian, boss = _reader(auth, org, "admin", "id")
    english, _ = _reader(auth, org, "admin", "en")
    key, _token = make_api_key(org)
    api_keys.set_policy(key, scopes=[], requests_per_minute=None, read_only=True, actor=boss)
    event = make_event(org, name="Malam Peluncuran")
    product = make_product(event, name="Reguler")
    orders.add_participants(
        event, product, [{"name": "Ana", "email": "ana@example.org"}], source="console", paid=True,
        send_ticket=False, actor=boss,
    )  # fmt: skip
    page = _page(indonesian, "/console/audit")
    assert "hanya baca; cakupan: semua; 1200 permintaan/menit (bawaan)" in page
    assert "Reguler (konsol)" in page
    assert "read-only" not in page and "(console)" not in page
    page = _page(english, "/console/audit")
    assert "read-only; scopes: all; 1200 requests/minute (default)" in page and "Reguler (console)" in page


def test_an_event_email_saved_is_audited_with_its_name_and_language_in_words(auth, org):
    indonesian, boss = _reader(auth, org, "admin", "id")
    event = make_event(org, name="Malam Peluncuran")
    content.save_template(
        event, "ticket", "id", subject="Tiket Anda", html_body="<p>Halo</p>",
        text_body="Halo", actor=boss,
    )  # fmt: skip
    assert AuditEntry.get(AuditEntry.action == "mail.template_save").summary == (
        "Email “ticket email” (Indonesian) of Malam Peluncuran"
    )
    assert "Email “email tiket” (Bahasa Indonesia) untuk Malam Peluncuran" in _page(indonesian, "/console/audit")
