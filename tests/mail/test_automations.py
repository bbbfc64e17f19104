"""Automations: reminders before the start and trigger rules, each sent once per registrant."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories.accounts import make_member
from tests.factories.tickets import make_paid_order
from webapp.db import utcnow
from webapp.mail import automations, content
from webapp.mail.models import Automation, AutomationRun, Outbox
from webapp.orders.models import Registrant


@pytest.fixture
def order(mail_app):
    return make_paid_order(["Ana Putri", "Budi Santoso"])


def test_reminder_goes_out_once_when_its_time_comes(mail_app, order):
    app, inbox = mail_app
    event = order.event
    reminder = automations.create_automation(
        event, name="Day before", trigger="before_start", delay_minutes=24 * 60, actor=None
    )

    assert automations.run_due(now=event.starts_at - dt.timedelta(hours=25)).sent == 0
    assert automations.run_due(now=event.starts_at - dt.timedelta(hours=23)).sent == 2
    assert automations.run_due(now=event.starts_at - dt.timedelta(hours=22)).sent == 0  # never twice
    assert automations.run_due(now=event.starts_at - dt.timedelta(hours=1)).sent == 0

    messages = inbox.wait_for(2)
    assert sorted(m["Subject"].split(" — ")[0] for m in messages) == ["Reminder: Jakarta Tech Summit"] * 2
    assert AutomationRun.select().where(AutomationRun.automation == reminder).count() == 2
    assert {o.kind for o in Outbox.select()} == {"automation"}


def test_late_registrant_still_gets_the_reminder_but_not_after_the_event(mail_app, order):
    app, inbox = mail_app
    event = order.event
    automations.create_automation(event, name="Soon", trigger="before_start", delay_minutes=60, actor=None)
    assert automations.run_due(now=event.ends_at + dt.timedelta(minutes=1)).sent == 0
    assert automations.run_due(now=event.starts_at - dt.timedelta(minutes=30)).sent == 2


def test_paid_rule_waits_for_its_delay_and_skips_the_past(mail_app, order):
    app, inbox = mail_app
    event = order.event
    rule = automations.create_automation(event, name="Thanks", trigger="paid", delay_minutes=120, actor=None)
    # Orders paid before the rule existed are not written to.
    Automation.update(created_at=utcnow() - dt.timedelta(days=1)).where(Automation.id == rule.id).execute()
    from tests.factories.orders import make_order

    later = make_order(event, attendees=[{"name": "Citra Dewi", "email": "citra@example.org"}])
    paid_at = utcnow()
    type(later).update(paid_at=paid_at).where(type(later).id == later.id).execute()
    order.paid_at = utcnow() - dt.timedelta(days=2)
    order.save()

    assert automations.run_due(now=paid_at + dt.timedelta(minutes=119)).sent == 0
    assert automations.run_due(now=paid_at + dt.timedelta(minutes=121)).sent == 1
    assert automations.run_due(now=paid_at + dt.timedelta(minutes=300)).sent == 0
    assert [m["To"] for m in inbox.wait_for(1)] == ["Citra Dewi <citra@example.org>"]


def test_checked_in_rule_and_canceled_registrants(mail_app, order):
    app, inbox = mail_app
    ana, budi = order.registrants.order_by(Registrant.id)
    automations.create_automation(order.event, name="Feedback", trigger="checked_in", delay_minutes=0, actor=None)
    now = utcnow() + dt.timedelta(minutes=1)
    ana.checked_in_at = now
    ana.save()
    budi.checked_in_at, budi.canceled = now, True
    budi.save()

    assert automations.run_due(now=now + dt.timedelta(minutes=1)).sent == 1
    assert [m["To"] for m in inbox.wait_for(1)] == ["Ana Putri <ana@example.org>"]


def test_paused_automation_sends_nothing(mail_app, order):
    rule = automations.create_automation(order.event, name="R", trigger="before_start", delay_minutes=60, actor=None)
    automations.update_automation(rule, name="R", trigger="before_start", delay_minutes=60, active=False, actor=None)
    assert automations.run_due(now=order.event.starts_at - dt.timedelta(minutes=10)).sent == 0


def test_a_unique_row_guards_against_a_second_worker(mail_app, order):
    """A run row written by another worker (same registrant) makes this one skip it."""
    rule = automations.create_automation(order.event, name="R", trigger="before_start", delay_minutes=60, actor=None)
    ana = order.registrants.order_by(Registrant.id).first()
    due = automations.due_registrants(rule, order.event.starts_at - dt.timedelta(minutes=5))
    assert ana in due
    AutomationRun.create(organization=order.organization_id, automation=rule, registrant=ana)
    original = automations.due_registrants
    automations.due_registrants = lambda a, now: due  # the stale list the other worker also saw
    try:
        assert automations.run_automation(rule, order.event.starts_at - dt.timedelta(minutes=5)).sent == 1
    finally:
        automations.due_registrants = original
    assert AutomationRun.select().where(AutomationRun.registrant == ana).count() == 1


def test_automation_uses_its_own_template_in_the_attendees_language(mail_app):
    app, inbox = mail_app
    order = make_paid_order(["Ana Putri"], locale="id")
    rule = automations.create_automation(order.event, name="R", trigger="before_start", delay_minutes=60, actor=None)
    content.save_template(
        order.event, rule.slot, "id", subject="Besok! {{ event.name }}", html_body="<p>Halo</p>",
        text_body="Halo {{ attendee.first_name }}", actor=None,
    )  # fmt: skip
    automations.run_due(now=order.event.starts_at - dt.timedelta(minutes=5))
    (msg,) = inbox.wait_for(1)
    assert msg["Subject"] == "Besok! Jakarta Tech Summit"


def test_after_registering_email_is_not_titled_a_reminder(mail_app):
    app, inbox = mail_app
    english = make_paid_order(["Ana Putri"])
    make_paid_order(["Budi Santoso"], org=english.organization, event=english.event, locale="id")
    rule = automations.create_automation(
        english.event, name="Welcome", trigger="registered", delay_minutes=0, actor=None
    )
    Automation.update(created_at=utcnow() - dt.timedelta(days=1)).where(Automation.id == rule.id).execute()
    automations.run_due(now=utcnow() + dt.timedelta(minutes=1))
    subjects = sorted(m["Subject"].split(" — ")[0] for m in inbox.wait_for(2))
    assert subjects == [
        "Terima kasih telah mendaftar di Jakarta Tech Summit",
        "Thank you for registering for Jakarta Tech Summit",
    ]


def test_each_automation_kind_starts_with_its_own_subject(mail_app, order):
    subjects = set()
    for trigger in ("registered", "paid", "checked_in", "before_start"):
        rule = automations.create_automation(order.event, name=trigger, trigger=trigger, delay_minutes=0, actor=None)
        for lang in ("en", "id"):
            subjects.add(content.template_parts(order.event, rule.slot, lang)["subject"])
    assert len(subjects) == 8
    assert sum("Reminder" in s or "Pengingat" in s for s in subjects) == 2


def test_console_manages_automations(mail_app, order):
    from tests.conftest import Auth

    app, inbox = mail_app
    client = Auth(app).client_for(make_member(order.organization, "manager"), order.organization)
    url = f"/console/events/{order.event_id}/automations"

    assert client.get(url).status_code == 200
    assert (
        client.post(url, data={"name": "", "trigger": "paid", "delay_amount": 1, "delay_unit": "days"}).status_code
        == 422
    )
    response = client.post(
        url, data={"name": "Reminder", "trigger": "before_start", "delay_amount": 2, "delay_unit": "days"}
    )
    assert response.status_code == 303
    rule = Automation.get(Automation.event == order.event)
    assert (rule.trigger, rule.delay_minutes) == ("before_start", 2 * 24 * 60)
    assert str(automations.describe(rule)) == "2 days before the event starts"
    assert f"automation:{rule.id}" in response.headers["Location"]
    assert client.get(response.headers["Location"]).status_code == 200

    edit = f"{url}/{rule.id}"
    assert "2 days" in client.get(url).get_data(as_text=True)
    client.post(edit, data={"name": "Reminder", "trigger": "before_start", "delay_amount": 3, "delay_unit": "hours"})
    assert Automation.get_by_id(rule.id).delay_minutes == 180
    assert client.post(f"{edit}/delete").status_code == 303
    assert Automation.select().count() == 0
