"""Outbox delivery through a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt
import logging

from tests.factories.accounts import make_org
from tests.factories.contacts import make_contact
from tests.factories.tickets import make_paid_order
from webapp import signals, work
from webapp.contacts.models import Activity, Contact
from webapp.db import db, utcnow
from webapp.mail import service
from webapp.mail.models import Outbox
from webapp.work.models import WorkItem


def _queue(org=None, **kwargs):
    values = {
        "kind": "test",
        "to_email": "ana@example.org",
        "to_name": "Ana Putri",
        "subject": "Hello Ana",
        "text_body": "Plain hello\n",
        "html_body": "<p>HTML hello</p>",
        "organization": org,
    }
    values.update(kwargs)
    return service.queue_email(**values)


def test_email_arrives_with_headers_and_both_bodies(mail_app):
    app, inbox = mail_app
    org = make_org("Komunitas Python")
    row = _queue(org)

    (msg,) = inbox.wait_for(1)
    assert msg["Message-ID"] == row.message_id
    assert msg["To"] == "Ana Putri <ana@example.org>"
    assert msg["Subject"] == "Hello Ana"
    assert "Komunitas Python" in msg["From"]
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == "Plain hello\n"
    assert "HTML hello" in msg.get_body(("html",)).get_content()
    assert Outbox.get_by_id(row.id).state == "sent"


def test_forced_retry_sends_once(mail_app):
    app, inbox = mail_app
    inbox.fail_next = 1
    row = _queue()

    failed = Outbox.get_by_id(row.id)
    assert failed.state == "queued" and "451" in failed.last_error
    assert failed.next_attempt_at > utcnow()  # backs off
    assert inbox.messages == []

    Outbox.update(next_attempt_at=utcnow() - dt.timedelta(seconds=1)).where(Outbox.id == row.id).execute()
    assert service.due_messages() == [row.id]
    service.deliver_many(service.due_messages())
    # Anything that runs the delivery again afterwards (a replayed task, the sweep) sends nothing.
    assert service.deliver(row.id) == "skipped"
    service.deliver_many(service.due_messages())

    assert len(inbox.wait_for(1)) == 1
    assert inbox.messages[0]["Message-ID"] == row.message_id
    sent = Outbox.get_by_id(row.id)
    assert (sent.state, sent.attempts, sent.last_error) == ("sent", 2, None)


def test_backoff_grows_exponentially():
    assert [service.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert service.backoff(20) == dt.timedelta(hours=4)


def test_permanent_rejection_is_failed_with_the_error_kept(mail_app, monkeypatch):
    import smtplib

    app, inbox = mail_app

    def refuse(self, row, data):
        raise smtplib.SMTPRecipientsRefused({row.to_email: (550, b"No such user")})

    monkeypatch.setattr(service.SmtpSession, "send", refuse)
    row = _queue()
    failed = Outbox.get_by_id(row.id)
    assert failed.state == "failed"
    assert "No such user" in failed.last_error
    assert service.due_messages() == []


def test_emails_of_one_transaction_share_one_connection(mail_app, monkeypatch):
    app, inbox = mail_app
    connections = []
    real = service._connect
    monkeypatch.setattr(service, "_connect", lambda smtp: connections.append(1) or real(smtp))

    with db.atomic():
        for n in range(3):
            _queue(to_email=f"person{n}@example.org")
        assert inbox.messages == []  # nothing leaves before the commit

    assert len(inbox.wait_for(3)) == 3
    assert len(connections) == 1


def test_rolled_back_email_is_never_sent(mail_app):
    app, inbox = mail_app
    try:
        with db.atomic():
            _queue()
            raise RuntimeError("checkout failed")
    except RuntimeError:
        pass
    _queue(to_email="after@example.org")
    assert [m["To"] for m in inbox.wait_for(1)] == ["Ana Putri <after@example.org>"]


def test_without_smtp_mail_stays_readable_in_the_log(app):
    org = make_org()
    row = _queue(org)
    kept = Outbox.get_by_id(row.id)
    assert kept.state == "queued"
    assert kept.last_error is None  # not an error of the message: the console shows no red text
    assert service.due_messages() == []
    assert [m.id for m in service.list_outbox(org.id, state="queued")] == [row.id]
    assert [m.id for m in service.list_outbox(org.id, search="hello ana")] == [row.id]
    assert list(service.list_outbox(org.id, kind="other")) == []
    assert list(service.list_outbox(make_org().id)) == []


def test_a_hand_off_interrupted_by_a_killed_worker_is_retried_not_left_failed(mail_app):
    """The worker died between claiming the email and the server's answer: its work item came
    back when the lease lapsed, and the email goes out (with the same Message-ID)."""
    app, inbox = mail_app
    with db.atomic():
        row = _queue()
        # the worker claims the email and is killed before it finishes
        WorkItem.update(lease="dead-worker", leased_until=utcnow() + dt.timedelta(minutes=5)).execute()
    assert inbox.messages == []
    Outbox.update(state="sending", next_attempt_at=utcnow() - dt.timedelta(minutes=10)).where(
        Outbox.id == row.id
    ).execute()
    WorkItem.update(leased_until=utcnow() - dt.timedelta(seconds=1)).execute()  # the lease lapses
    work.run_ready()
    assert Outbox.get_by_id(row.id).state == "sent"
    assert [m["Message-ID"] for m in inbox.messages] == [row.message_id]


def test_unset_smtp_url_is_said_once_at_info_not_as_a_warning(app, caplog, monkeypatch):
    monkeypatch.setattr(service, "_told_smtp_unset", False)
    with caplog.at_level(logging.DEBUG, logger="rollcall.mail"):
        _queue(make_org())
        _queue(make_org())
        service.deliver_many([_queue().id, _queue().id])
    said = [r for r in caplog.records if "SMTP_URL" in r.getMessage()]
    assert [r.levelname for r in said] == ["INFO"]


def test_an_address_the_server_refuses_for_good_marks_the_contact_bounced(mail_app):
    app, inbox = mail_app
    order = make_paid_order(["Ana Putri", "Budi Santoso"])
    make_contact(order.organization, email="ana@example.org")
    make_contact(order.organization, email="budi@example.org")
    inbox.refuse.add("ana@example.org")
    signals.emit(signals.order_paid, order_id=order.id)

    assert [m["To"] for m in inbox.wait_for(1)] == ["Budi Santoso <budi@example.org>"]
    assert Outbox.get(Outbox.to_email == "ana@example.org").state == "failed"
    statuses = {c.email: c.status for c in Contact.select()}
    assert statuses == {"ana@example.org": "bounced", "budi@example.org": "active"}
    entry = Activity.get(
        (Activity.kind == "status_changed") & (Activity.contact == Contact.get(email="ana@example.org"))
    )
    assert "550" in entry.summary
