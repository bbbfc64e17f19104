"""Double opt-in: a subscription sent over the API is pending until the person confirms it from
the email (real SMTP); pending contacts get no announcements."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.factories.accounts import make_org
from tests.factories.api import ApiClient, make_api_key
from tests.factories.contacts import make_contact
from tests.factories.tickets import make_paid_order
from webapp.contacts import service, subscriptions
from webapp.contacts.models import Activity, Contact
from webapp.mail import automations
from webapp.mail.models import Outbox


@pytest.fixture
def api(mail_app):
    app, inbox = mail_app
    org = make_org(name="Kopi Events")
    _, token = make_api_key(org)
    return ApiClient(app.test_client(), token), inbox, org


def _confirm_path(msg) -> str:
    text = msg.get_body(("plain",)).get_content()
    return re.search(r"http://rollcall\.test(/s/\S+)", text).group(1)


def test_a_subscription_waits_for_the_confirmation_from_the_email(mail_app, api):
    app, _ = mail_app
    client, inbox, org = api
    answer = client.post("/contacts", {"email": "Ana@Example.org", "name": "Ana", "subscribe": True})
    assert answer.status_code == 201 and answer.json["status"] == "pending"

    (msg,) = inbox.wait_for(1)
    assert msg["Subject"] == "Confirm your subscription to Kopi Events"
    path = _confirm_path(msg)
    assert "/m/c/" not in msg.get_body(("html",)).get_content()  # the confirmation link is never rewritten
    browser = app.test_client()
    page = browser.get(path)  # a mail scanner following the link confirms nothing
    assert page.status_code == 200 and "Confirm my subscription" in page.get_data(as_text=True)
    assert Contact.get(Contact.email == "ana@example.org").status == "pending"

    assert "You are subscribed" in browser.post(path).get_data(as_text=True)
    contact = Contact.get(Contact.email == "ana@example.org")
    assert contact.status == "active"
    assert Activity.select().where((Activity.contact == contact.id) & (Activity.kind == "subscribed")).exists()
    browser.post(path)  # twice: nothing more happens
    assert Activity.select().where(Activity.kind == "subscribed").count() == 1


def test_the_confirmation_email_speaks_the_persons_language(api):
    client, inbox, org = api
    client.post("/contacts", {"email": "budi@example.org", "subscribe": True, "locale": "id"})
    (msg,) = inbox.wait_for(1)
    assert msg["Subject"] == "Konfirmasi langganan Anda ke Kopi Events"


def test_an_active_contact_subscribing_again_stays_active_and_gets_no_email(api):
    client, inbox, org = api
    client.post("/contacts", {"email": "ana@example.org"})
    answer = client.post("/contacts", {"email": "ana@example.org", "subscribe": True})
    assert answer.status_code == 200 and answer.json["status"] == "active"
    assert Outbox.select().where(Outbox.kind == "subscription").count() == 0


def test_bad_or_stale_links_confirm_nothing(mail_app, api):
    app, _ = mail_app
    client, inbox, org = api
    client.post("/contacts", {"email": "ana@example.org", "subscribe": True})
    path = _confirm_path(inbox.wait_for(1)[0])
    browser = app.test_client()
    assert browser.post(path[:-3] + "xyz").status_code == 404
    assert browser.post("/s/not-a-token").status_code == 404
    contact = Contact.get(Contact.email == "ana@example.org")
    Contact.update(email="ana.new@example.org").where(Contact.id == contact.id).execute()
    assert browser.post(path).status_code == 404  # the link was for the old address
    assert Contact.get_by_id(contact.id).status == "pending"
    assert subscriptions.contact_for("") is None


def test_a_pending_contact_gets_no_announcements(mail_app):
    app, inbox = mail_app
    order = make_paid_order(["Ana Putri"])
    contact = make_contact(order.organization, email="ana@example.org")
    Contact.update(status="unsubscribed").where(Contact.id == contact.id).execute()
    assert subscriptions.request(Contact.get_by_id(contact.id))  # subscribing again: to confirm first
    assert Contact.get_by_id(contact.id).status == "pending"
    automations.create_automation(order.event, name="Soon", trigger="before_start", delay_minutes=60, actor=None)

    assert automations.run_due(now=order.event.starts_at - dt.timedelta(minutes=30)).skipped == 1
    skipped = Outbox.get(Outbox.kind == "automation")
    assert skipped.state == "skipped" and "not confirmed" in skipped.last_error


def test_the_subscribed_date_is_when_the_person_agreed(mail_app, api):
    app, _ = mail_app
    client, inbox, org = api
    client.post("/contacts", {"email": "direct@example.org"})
    assert Contact.get(Contact.email == "direct@example.org").subscribed_at is not None

    client.post("/contacts", {"email": "ana@example.org", "subscribe": True})
    assert Contact.get(Contact.email == "ana@example.org").subscribed_at is None  # not agreed yet
    app.test_client().post(_confirm_path(inbox.wait_for(1)[0]))
    contact = Contact.get(Contact.email == "ana@example.org")
    assert contact.status == "active" and contact.subscribed_at is not None

    subscribed = contact.subscribed_at
    service.set_status(contact, "unsubscribed", reason="asked to")
    assert Contact.get_by_id(contact.id).subscribed_at == subscribed  # the history stays
