"""Check-ins, canceled orders, label rules and inactivity on the contact's timeline and stage."""

from __future__ import annotations

import datetime as dt

from tests.factories.accounts import make_org
from tests.factories.checkin import make_checkin_list
from tests.factories.contacts import make_contact, make_label
from tests.factories.events import make_event
from tests.factories.orders import make_order, make_registrant
from webapp import signals
from webapp.checkin import contact_timeline
from webapp.checkin.models import Checkin
from webapp.contacts import lifecycle, service
from webapp.contacts.models import Activity, Contact
from webapp.db import utcnow
from webapp.orders import contact_sync
from webapp.orders.models import Order, Registrant


def _activities(contact, kind):
    return list(Activity.select().where((Activity.contact == contact.id) & (Activity.kind == kind)))


def test_check_in_lands_on_the_timeline_once(app):
    org = make_org()
    event = make_event(org, name="Summit")
    registrant = make_registrant(event, attendees=[{"email": "ana@example.org"}])
    checkin = Checkin.create(
        organization=org.id,
        event=event,
        checkin_list=make_checkin_list(event),
        registrant=registrant,
        result="ok",
        gate="North",
    )
    signals.emit(signals.checked_in, checkin_id=checkin.id)
    signals.emit(signals.checked_in, checkin_id=checkin.id)  # a replayed signal

    contact = Contact.get(Contact.email == "ana@example.org")
    entries = _activities(contact, "checked_in")
    assert len(entries) == 1 and entries[0].summary == "Checked in to Summit at gate North"


def test_failed_scans_are_not_check_ins(app):
    org = make_org()
    event = make_event(org)
    registrant = make_registrant(event)
    checkin = Checkin.create(
        organization=org.id,
        event=event,
        checkin_list=make_checkin_list(event),
        registrant=registrant,
        result="error",
        reason="already_checked_in",
    )
    assert contact_timeline.record_checkin(checkin.id) is False
    assert Activity.select().where(Activity.kind == "checked_in").count() == 0


def test_canceled_order_lands_on_the_timeline(app):
    org = make_org()
    order = make_order(make_event(org), attendees=[{"email": "budi@example.org"}])
    contact_sync.sync_registrants([r.id for r in order.registrants])
    Order.update(status="canceled", canceled_at=utcnow()).where(Order.id == order.id).execute()
    signals.emit(signals.order_canceled, order_id=order.id)
    contact = Contact.get(Contact.email == "budi@example.org")
    assert [a.summary for a in _activities(contact, "order_canceled")] == [
        f"Order {order.code} canceled ({order.event.name})"
    ]


def test_order_paid_signal_records_payment_and_makes_a_customer(app):
    from tests.factories.catalog import make_product

    org = make_org()
    event = make_event(org)
    order = make_order(
        event, {make_product(event, price=100000): 1}, status="pending", attendees=[{"email": "c@example.org"}]
    )
    signals.emit(signals.registration_created, order_id=order.id)
    assert Contact.get(Contact.email == "c@example.org").stage == "engaged"
    Order.update(status="paid", paid_at=utcnow()).where(Order.id == order.id).execute()
    signals.emit(signals.order_paid, order_id=order.id)
    contact = Contact.get(Contact.email == "c@example.org")
    assert contact.stage == "customer"
    assert len(_activities(contact, "paid")) == 1


def test_label_rule_sets_the_stage_and_removing_keeps_it(app):
    org = make_org()
    make_label(org, "Champion", stage="promoter")
    contact = make_contact(org)
    assert service.add_label(contact, "champion") is True
    assert service.add_label(contact, "CHAMPION") is False
    contact = Contact.get_by_id(contact.id)
    assert (contact.stage, contact.stage_source) == ("promoter", "rule:Champion")
    assert service.remove_label(contact, "Champion") is True
    assert Contact.get_by_id(contact.id).stage == "promoter"


def test_registrant_with_a_new_email_moves_to_that_contact(app):
    org = make_org()
    registrant = make_registrant(make_event(org), attendees=[{"email": "old@example.org"}])
    contact_sync.sync_registrant(registrant.id)
    Registrant.update(email="new@example.org").where(Registrant.id == registrant.id).execute()
    signals.emit(signals.registrant_changed, registrant_id=registrant.id)
    new = Contact.get(Contact.email == "new@example.org")
    assert Registrant.get_by_id(registrant.id).contact_id == new.id
    assert len(_activities(new, "registered")) == 1
    assert Contact.select().where(Contact.email == "old@example.org").exists()  # history stays


def test_quiet_contacts_move_to_lost(app):
    org, other_org = make_org(), make_org()
    quiet = make_contact(org, name="Quiet")
    busy = make_contact(org, name="Busy")
    untouched = make_contact(other_org, name="Elsewhere")
    long_ago = utcnow() - dt.timedelta(days=40)
    Contact.update(last_activity_at=long_ago, created_at=long_ago).where(
        Contact.id.in_([quiet.id, untouched.id])
    ).execute()
    service.record_activity(busy, "registered")
    lifecycle.set_inactivity_days(org.id, 30)

    assert lifecycle.mark_inactive_lost() == 1
    assert Contact.get_by_id(quiet.id).stage == "lost"
    assert Contact.get_by_id(quiet.id).stage_source == "rule:inactivity"
    assert Contact.get_by_id(busy.id).stage == "aware"
    assert Contact.get_by_id(untouched.id).stage == "aware"  # that organization set no rule
    assert lifecycle.mark_inactive_lost() == 0


def test_operator_actions_do_not_count_as_activity(app):
    org = make_org()
    contact = make_contact(org)
    service.add_label(contact, "Newsletter")
    service.set_stage(contact, "engaged", source="person")
    assert Contact.get_by_id(contact.id).last_activity_at is None


def test_contact_updated_is_emitted_after_commit(app):
    org = make_org()
    seen = []

    def receiver(sender, contact_id, **kwargs):
        seen.append(contact_id)

    signals.contact_updated.connect(receiver)
    try:
        contact = make_contact(org)
        service.set_stage(contact, "customer", source="person")
        service.upsert_contact(org.id, contact.email)  # nothing new: no signal
    finally:
        signals.contact_updated.disconnect(receiver)
    assert seen == [contact.id, contact.id]


def test_demo_contacts(app):
    from webapp.orders.contacts_demo import seed

    org = make_org()
    registrant = make_registrant(make_event(org), attendees=[{"email": "walk-in@example.com"}])
    seed(org)
    ayu = Contact.get(Contact.email == "ayu.lestari@example.com")
    assert (ayu.stage, ayu.stage_source) == ("promoter", "rule:VIP")
    assert Registrant.get_by_id(registrant.id).contact_id is not None
