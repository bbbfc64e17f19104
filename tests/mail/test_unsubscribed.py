"""Automated (promotional) email follows the contact's consent: an unsubscribe link and
List-Unsubscribe on each, nothing sent to a contact who unsubscribed or bounced — kept in the mail
log as skipped, counted as skipped — while tickets and order emails still reach them."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories.accounts import make_member
from tests.factories.tickets import make_paid_order
from webapp.contacts import service as contacts
from webapp.contacts.models import Contact
from webapp.db import db, utcnow
from webapp.events.models import Event
from webapp.mail import automations, content, notify
from webapp.mail import service as mail
from webapp.mail.models import AutomationRun, Outbox
from webapp.orders import contact_sync


@pytest.fixture
def order(mail_app):
    return make_paid_order(["Ana Putri", "Budi Santoso"])


def _reminder(order):
    return automations.create_automation(
        order.event, name="Reminder", trigger="before_start", delay_minutes=60, actor=None
    )


def _due(order):
    return order.event.starts_at - dt.timedelta(minutes=30)


def _unsubscribe(order, email: str) -> Contact:
    contact_sync.sync_registrants([r.id for r in order.registrants])
    contact = Contact.get((Contact.organization == order.organization_id) & (Contact.email == email))
    contacts.unsubscribe(contact, via="link")
    return contact


def test_an_unsubscribed_contact_is_skipped_and_the_skip_is_in_the_log(mail_app, order):
    app, inbox = mail_app
    rule = _reminder(order)
    _unsubscribe(order, "budi@example.org")

    summary = automations.run_due(now=_due(order))
    assert (summary.sent, summary.skipped) == (1, 1)
    (sent,) = inbox.wait_for(1)
    assert sent["To"].addresses[0].addr_spec == "ana@example.org"
    assert not inbox.to("budi@example.org")

    skipped = Outbox.get(Outbox.to_email == "budi@example.org")
    assert skipped.kind == "automation" and skipped.state == "skipped"
    assert skipped.last_error.startswith("Not sent: the contact unsubscribed")
    assert skipped.sent_at is None and skipped.attempts == 0
    # done once: the next minute neither sends nor skips again
    assert AutomationRun.select().where(AutomationRun.automation == rule).count() == 2
    assert automations.run_due(now=_due(order) + dt.timedelta(minutes=1)).as_dict() == {"sent": 0, "skipped": 0}
    assert automations.run_counts(rule) == {"sent": 1, "skipped": 1}


def test_the_task_reports_sent_and_skipped(mail_app, order):
    from tasks.mail import run_automations

    _reminder(order)
    _unsubscribe(order, "budi@example.org")
    # the periodic task runs at "now": the event starts in half an hour, so the reminder is due
    starts = utcnow() + dt.timedelta(minutes=30)
    Event.update(starts_at=starts, ends_at=starts + dt.timedelta(hours=8)).where(Event.id == order.event_id).execute()
    assert run_automations.call_local() == {"sent": 1, "skipped": 1}


def test_a_bounced_address_is_skipped_with_its_reason(mail_app, order):
    _reminder(order)
    contact_sync.sync_registrants([r.id for r in order.registrants])
    assert contacts.mark_bounced(order.organization_id, "budi@example.org", reason="550 no such user")
    assert automations.run_due(now=_due(order)).skipped == 1
    assert "bounced" in Outbox.get(Outbox.to_email == "budi@example.org").last_error


def test_each_automated_email_carries_its_contacts_unsubscribe_link(mail_app, order):
    app, inbox = mail_app
    client = app.test_client()
    _reminder(order)
    assert automations.run_due(now=_due(order)).sent == 2  # contacts made for registrants not synced yet
    messages = inbox.wait_for(2)
    ana = next(m for m in messages if "ana@example.org" in m["To"])
    contact = Contact.get(Contact.email == "ana@example.org")
    url = contacts.unsubscribe_url(contact)
    assert ana["List-Unsubscribe"] == f"<{url}>"
    assert ana["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = ana.get_body(preferencelist=("plain",)).get_content()
    html = ana.get_body(preferencelist=("html",)).get_content()
    assert url in text and "because you registered for Jakarta Tech Summit" in text
    assert f'href="{url}"' in html and "Unsubscribe</a>" in html
    assert Outbox.get(Outbox.to_email == "ana@example.org").unsubscribe_url == url

    # the mail client's one-click POST unsubscribes (no CSRF token: the token in the URL is the secret)
    one_click = client.post(f"/u/{contact.unsubscribe_token}", data={"List-Unsubscribe": "One-Click"})
    assert url.endswith(f"/u/{contact.unsubscribe_token}") and one_click.status_code == 200
    assert Contact.get_by_id(contact.id).status == "unsubscribed"


def test_a_template_that_links_the_unsubscribe_url_gets_no_second_footer(mail_app):
    app, inbox = mail_app
    order = make_paid_order(["Ana Putri"], locale="id")
    rule = _reminder(order)
    content.save_template(
        order.event, rule.slot, "id", subject="Besok! {{ event.name }}",
        html_body='<p>Halo</p><p><a href="{{ unsubscribe_url }}">Stop</a></p>',
        text_body="Halo {{ attendee.first_name }}\nStop: {{ unsubscribe_url }}", actor=None,
    )  # fmt: skip
    automations.run_due(now=_due(order))
    (msg,) = inbox.wait_for(1)
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    url = Outbox.get().unsubscribe_url
    assert text.count(url) == 1 and html.count(url) == 1
    assert "Berhenti berlangganan" not in html and msg["List-Unsubscribe"] == f"<{url}>"


def test_the_footer_is_in_the_attendees_language(mail_app):
    app, inbox = mail_app
    order = make_paid_order(["Ana Putri"], locale="id")
    _reminder(order)
    automations.run_due(now=_due(order))
    (msg,) = inbox.wait_for(1)
    text = msg.get_body(preferencelist=("plain",)).get_content()
    assert "Anda menerima email ini karena terdaftar di Jakarta Tech Summit." in text
    assert "Berhenti berlangganan</a>" in msg.get_body(preferencelist=("html",)).get_content()


def test_tickets_still_reach_an_unsubscribed_contact_without_an_unsubscribe_header(mail_app, order):
    app, inbox = mail_app
    _unsubscribe(order, "budi@example.org")
    budi = next(r for r in order.registrants if r.email == "budi@example.org")
    notify.resend_ticket(budi, actor=None, actor_label="test")
    (ticket,) = inbox.wait_for(1)
    assert "budi@example.org" in ticket["To"]
    assert ticket["List-Unsubscribe"] is None
    assert Outbox.get(Outbox.kind == "ticket").state == "sent"


def test_unsubscribing_while_an_email_waits_stops_it_at_delivery(mail_app, order):
    app, inbox = mail_app
    rule = _reminder(order)
    contact_sync.sync_registrants([r.id for r in order.registrants])
    with db.atomic():  # delivery starts after the commit; the contact unsubscribes meanwhile
        assert automations.run_automation(rule, _due(order)).sent == 2
        contacts.unsubscribe(Contact.get(Contact.email == "budi@example.org"), via="one-click")
    inbox.wait_for(1)
    assert [m["To"].addresses[0].addr_spec for m in inbox.messages] == ["ana@example.org"]
    late = Outbox.get(Outbox.to_email == "budi@example.org")
    assert late.state == "skipped" and "unsubscribed" in late.last_error


def test_operators_cannot_resend_an_automated_email_to_an_unsubscribed_contact(mail_app, order):
    from tests.conftest import Auth

    app, inbox = mail_app
    _reminder(order)
    _unsubscribe(order, "budi@example.org")
    automations.run_due(now=_due(order))
    inbox.wait_for(1)
    skipped = Outbox.get(Outbox.to_email == "budi@example.org")
    sent = Outbox.get(Outbox.to_email == "ana@example.org")
    with pytest.raises(mail.NotResent):
        mail.resend(skipped, actor=None)

    client = Auth(app).client_for(make_member(order.organization, "manager"), order.organization)
    response = client.post(f"/console/mail/{skipped.id}/resend", follow_redirects=True)
    assert "Not sent: the contact unsubscribed" in response.get_data(as_text=True)
    assert Outbox.select().where(Outbox.to_email == "budi@example.org").count() == 1
    log = client.get("/console/mail?state=skipped").get_data(as_text=True)
    assert "budi@example.org" in log and "ana@example.org" not in log
    page = client.get(f"/console/events/{order.event_id}/automations").get_data(as_text=True)
    assert "<th>Skipped</th>" in page

    assert client.post(f"/console/mail/{sent.id}/resend").status_code == 303
    copy = Outbox.select().where(Outbox.to_email == "ana@example.org").order_by(Outbox.id.desc()).first()
    assert copy.id != sent.id and copy.unsubscribe_url == sent.unsubscribe_url


def test_the_console_preview_shows_the_footer_of_automations_only(mail_app, order):
    rule = _reminder(order)
    parts = content.template_parts(order.event, rule.slot, "en")
    automation = content.preview(order.event, parts, "en", slot=rule.slot)
    assert "Unsubscribe</a>" in automation["html_body"] and "https://example.org/u/sample" in automation["text_body"]
    ticket = content.preview(order.event, content.template_parts(order.event, "ticket", "en"), "en", slot="ticket")
    assert "Unsubscribe" not in ticket["html_body"] and "/u/" not in ticket["text_body"]
