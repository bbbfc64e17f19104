"""The engagement migration names the send and the contact of the mail already in the outbox."""

from __future__ import annotations

from tests.factories.contacts import make_contact
from tests.factories.tickets import make_paid_order
from webapp import migrate
from webapp.db import db
from webapp.mail import automations
from webapp.mail.models import AutomationRun, Outbox
from webapp.mail.service import queue_email


def _backfill():
    path = next(p for p in migrate._migration_files() if p.stem == "0540_mail_engagement")
    for statement in migrate._load(path).BACKFILL:
        db.execute_sql(statement)


def test_backfill_names_the_send_and_the_contact_of_old_mail(app):
    order = make_paid_order(["Ana Putri"])
    org, event = order.organization, order.event
    contact = make_contact(org, email="ana@example.org")
    ticket = queue_email(kind="ticket", to_email=" Ana@Example.org", subject="t", text_body="t", organization=org)
    stranger = queue_email(kind="payment", to_email="nobody@example.org", subject="p", text_body="p", organization=org)
    invite = queue_email(kind="invite", to_email="ana@example.org", subject="i", text_body="i", organization=org)
    reminder = automations.create_automation(event, name="Soon", trigger="registered", delay_minutes=0, actor=None)
    sent = queue_email(kind="automation", to_email="ana@example.org", subject="a", text_body="a", organization=org)
    AutomationRun.create(organization=org, automation=reminder, registrant=order.registrants[0], outbox_id=sent.id)
    Outbox.update(send_key=None, contact_id=None).execute()

    _backfill()

    rows = {o.id: (o.send_key, o.contact_id) for o in Outbox.select()}
    assert rows[ticket.id] == ("ticket", contact.id)
    assert rows[stranger.id] == ("payment", None)
    assert rows[invite.id] == (None, None)  # account mail goes to users, not contacts
    assert rows[sent.id] == (f"automation:{reminder.id}", contact.id)
