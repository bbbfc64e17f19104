"""Registrants into the Contact Book: one contact per person, merges, activities, rules."""

from __future__ import annotations

from tests.factories.accounts import make_org
from tests.factories.catalog import make_product, make_question
from tests.factories.events import make_event
from tests.factories.orders import make_order, make_registrant
from webapp.contacts import labels, service
from webapp.contacts.models import Activity, Contact, ContactLabel, EventLabel
from webapp.orders import contact_sync
from webapp.orders.models import Registrant


def _kinds(contact):
    """What the person did (the labels and stage moves the rules made are tests/contacts/test_funnel.py's)."""
    entries = Activity.select().where(Activity.contact == contact.id)
    return sorted(a.kind for a in entries if a.kind not in ("label_added", "stage_changed"))


def test_same_person_in_two_events_is_one_contact_with_two_registrants(app):
    org = make_org()
    first, second = make_event(org), make_event(org)
    a = make_registrant(first, attendees=[{"name": "Ana Putri", "email": "Ana@Example.org"}])
    b = make_registrant(second, attendees=[{"name": "Ana Putri", "email": " ana@example.ORG "}])

    contact_sync.sync_registrants([a.id, b.id])

    contacts = list(Contact.for_org(org.id))
    assert len(contacts) == 1
    assert contacts[0].email == "ana@example.org"
    assert contacts[0].subscribed_at is not None  # registering is subscribing (segments: "subscribed within")
    linked = {r.id for r in Registrant.select().where(Registrant.contact == contacts[0].id)}
    assert linked == {a.id, b.id}


def test_registration_created_signal_syncs_after_commit(app):
    from webapp import signals
    from webapp.db import db

    org = make_org()
    event = make_event(org)
    with db.atomic():
        order = make_order(event, status="pending", attendees=[{"name": "Budi", "email": "budi@example.org"}])
        signals.emit(signals.registration_created, order_id=order.id)
        assert Contact.for_org(org.id).count() == 0  # nothing before the commit
    registrant = order.registrants.get()
    contact = Contact.get(Contact.email == "budi@example.org")
    assert Registrant.get_by_id(registrant.id).contact_id == contact.id
    assert _kinds(contact) == ["registered"]
    assert contact.stage == "engaged"


def test_mapped_answers_merge_without_erasing(app):
    org = make_org()
    first, second = make_event(org), make_event(org)
    phone_q = make_question(first, per_attendee=True, contact_field="phone", kind="phone")
    size_q = make_question(first, per_attendee=True, contact_field="custom:shirt size")
    company_q = make_question(second, per_attendee=True, contact_field="company")
    a = make_registrant(
        first,
        attendees=[
            {
                "name": "Citra",
                "email": "citra@example.org",
                "answers": {str(phone_q.id): "+62 811 000", str(size_q.id): "M"},
            }
        ],
    )
    contact_sync.sync_registrant(a.id)
    # The second event asks only for the company: phone and size must survive.
    b = make_registrant(
        second, attendees=[{"name": "Citra Dewi", "email": "citra@example.org", "answers": {str(company_q.id): "Acme"}}]
    )
    contact_sync.sync_registrant(b.id)

    contact = Contact.get(Contact.email == "citra@example.org")
    assert contact.name == "Citra Dewi"
    assert contact.phone == "+62 811 000"
    assert contact.company == "Acme"
    assert contact.custom == {"shirt size": "M"}


def test_upsert_merges_and_never_erases(app):
    org = make_org()
    service.upsert_contact(org.id, "dewi@example.org", name="Dewi", phone="0812", custom={"city": "Bandung"})
    contact = service.upsert_contact(
        org.id, "DEWI@example.org", name="", phone=None, company="Kopi", custom={"city": ""}
    )
    assert (contact.name, contact.phone, contact.company) == ("Dewi", "0812", "Kopi")
    assert contact.custom == {"city": "Bandung"}
    assert Contact.for_org(org.id).count() == 1


def test_normalize_email():
    assert service.normalize_email("  Ana.Putri@Example.ORG ") == "ana.putri@example.org"
    assert service.normalize_email("<ana@example.org>") == "ana@example.org"
    assert service.normalize_email("not an email") == ""
    assert service.normalize_email("ana@localhost") == ""
    assert service.normalize_email(None) == ""


def test_sync_is_idempotent(app):
    org = make_org()
    event = make_event(org)
    product = make_product(event, price=150000)
    order = make_order(event, {product: 2}, attendees=[{"email": "eko@example.org"}, {"email": "fajar@example.org"}])
    ids = [r.id for r in order.registrants]

    contact_sync.sync_registrants(ids)
    before = (Contact.select().count(), Activity.select().count())
    contact_sync.sync_registrants(ids)
    contact_sync.sync_registrants(ids)

    assert (Contact.select().count(), Activity.select().count()) == before
    eko = Contact.get(Contact.email == "eko@example.org")
    assert _kinds(eko) == ["paid", "registered"]
    assert eko.stage == "customer"


def test_free_registration_is_not_a_purchase(app):
    org = make_org()
    registrant = make_registrant(make_event(org))  # free ticket, order "paid" at once
    contact = contact_sync.sync_registrant(registrant.id)
    assert _kinds(contact) == ["registered"]
    assert contact.stage == "engaged"


def test_paid_in_two_events_makes_a_loyal_customer(app):
    org = make_org()
    for _ in range(2):
        event = make_event(org)
        registrant = make_registrant(event, make_product(event, price=50000), attendees=[{"email": "gita@example.org"}])
        contact = contact_sync.sync_registrant(registrant.id)
    assert contact.stage == "loyal_customer"


def test_rules_never_lower_a_stage_set_by_a_person(app):
    org = make_org()
    contact = service.upsert_contact(org.id, "hana@example.org", name="Hana")
    service.set_stage(contact, "promoter", source="person")
    registrant = make_registrant(make_event(org), attendees=[{"email": "hana@example.org"}])
    assert contact_sync.sync_registrant(registrant.id).stage == "promoter"


def test_event_labels_label_registrants_and_set_stage(app):
    org = make_org()
    event = make_event(org)
    early = make_registrant(event, attendees=[{"email": "indra@example.org"}])
    contact_sync.sync_registrant(early.id)
    vip = labels.create_label(org.id, "VIP", stage="promoter")

    contact_sync.add_event_label(event, "vip")  # existing registrants are labelled by a task
    late = make_registrant(event, attendees=[{"email": "joko@example.org"}])
    contact_sync.sync_registrant(late.id)

    for email in ("indra@example.org", "joko@example.org"):
        contact = Contact.get(Contact.email == email)
        assert (
            ContactLabel.select().where((ContactLabel.contact == contact.id) & (ContactLabel.label == vip.id)).exists()
        )
        assert (contact.stage, contact.stage_source) == ("promoter", "rule:VIP")
    assert EventLabel.select().count() == 1
