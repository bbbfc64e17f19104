"""The funnel's default rules: registering, paying, attending and buying again add labels, and the
labels' rules (which the organization can change or switch off) move the stage, only ever up.
Every stage change is on the timeline with its cause and goes out as a signed webhook."""

from __future__ import annotations

import pytest

from tests.api.test_webhooks import Receiver, _endpoint
from tests.factories.accounts import make_member, make_org
from tests.factories.api import ApiClient, make_api_key
from tests.factories.catalog import make_product
from tests.factories.checkin import make_checkin_list
from tests.factories.contacts import make_contact, make_label
from tests.factories.events import make_event
from tests.factories.orders import make_order
from webapp import migrate, signals
from webapp.accounts.models import Organization
from webapp.checkin.models import Checkin
from webapp.contacts import funnel, service
from webapp.contacts.models import Activity, AutoLabel, Contact, ContactLabel, Label
from webapp.db import db, is_postgres
from webapp.orders import contact_sync
from webapp.orders.models import Order


def _register(org, email="ana@example.org", *, price=0, event=None):
    event = event or make_event(org)
    product = make_product(event, price=price)
    order = make_order(event, {product: 1}, attendees=[{"name": "Ana", "email": email}], buyer_email=email)
    if price:
        Order.update(status="paid", total=price).where(Order.id == order.id).execute()
    contact_sync.sync_registrants([r.id for r in order.registrants])
    return Contact.get((Contact.organization == org.id) & (Contact.email == email)), order


def _labels(contact) -> set[str]:
    return {label.name for label in service.labels_of(contact)}


def _stage_entries(contact) -> list[tuple[str, str, str]]:
    entries = Activity.select().where((Activity.contact == contact.id) & (Activity.kind == "stage_changed"))
    return [(a.data["from"], a.data["to"], a.data["source"]) for a in entries.order_by(Activity.id)]


def test_registering_adds_the_registered_label_whose_rule_makes_the_contact_engaged(app):
    org = make_org()
    contact, _ = _register(org)
    assert _labels(contact) == {"registered"}
    assert (contact.stage, contact.stage_source) == ("engaged", "rule:registered")
    assert _stage_entries(contact) == [("aware", "engaged", "rule:registered")]


def test_paying_twice_for_two_events_makes_a_loyal_customer_through_the_labels(app):
    org = make_org()
    contact, _ = _register(org, price=50000)
    assert _labels(contact) == {"registered", "paid"} and contact.stage == "customer"
    contact, _ = _register(org, price=75000)
    assert _labels(contact) == {"registered", "paid", "repeat buyer"}
    assert (contact.stage, contact.stage_source) == ("loyal_customer", "rule:repeat buyer")
    assert [to for _, to, _ in _stage_entries(contact)] == ["engaged", "customer", "loyal_customer"]


def test_a_moment_switched_off_labels_nobody_and_moves_nobody(app):
    org = make_org()
    funnel.ensure_defaults(org.id)
    funnel.update(org.id, "registered", label_id=Label.get(name="registered", organization=org.id).id, active=False)
    contact, _ = _register(org)
    assert _labels(contact) == set() and contact.stage == "aware"


def test_a_label_without_a_rule_labels_but_does_not_move(app):
    org = make_org()
    funnel.ensure_defaults(org.id)
    Label.update(stage=None).where((Label.organization == org.id) & (Label.name == "paid")).execute()
    contact, _ = _register(org, price=50000)
    assert _labels(contact) == {"registered", "paid"} and contact.stage == "engaged"


def test_automatic_labels_never_lower_a_stage_a_person_set(app):
    org = make_org()
    contact = make_contact(org, email="ana@example.org")
    service.set_stage(contact, "promoter", source="person")
    contact, _ = _register(org, price=50000)
    assert _labels(contact) == {"registered", "paid"}
    assert (contact.stage, contact.stage_source) == ("promoter", "person")


def test_checking_in_adds_attended_which_raises_but_never_lowers(app):
    org = make_org()
    event = make_event(org)
    funnel.ensure_defaults(org.id)
    funnel.update(org.id, "registered", label_id=Label.get(name="registered", organization=org.id).id, active=False)
    ana, order = _register(org, event=event)
    budi, budi_order = _register(org, "budi@example.org", price=50000, event=event)
    checkin_list = make_checkin_list(event)
    for o in (order, budi_order):
        checkin = Checkin.create(
            organization=org.id, event=event, checkin_list=checkin_list, registrant=o.registrants[0], result="ok"
        )
        signals.emit(signals.checked_in, checkin_id=checkin.id)
    ana, budi = Contact.get_by_id(ana.id), Contact.get_by_id(budi.id)
    assert "attended" in _labels(ana) and (ana.stage, ana.stage_source) == ("engaged", "rule:attended")
    assert "attended" in _labels(budi) and budi.stage == "customer"


def test_the_stage_change_goes_out_as_a_signed_webhook_with_its_cause(app):
    org = make_org()
    with Receiver() as receiver:
        _endpoint(org, receiver, ["contact.stage_changed"])
        contact, _ = _register(org, price=50000)
        api = ApiClient(app.test_client(), make_api_key(org)[1])
        api.post(f"/contacts/{contact.id}/stage", {"stage": "promoter"})
    messages = [r["body"] for r in receiver.received]
    assert all(r["valid"] for r in receiver.received)
    assert {m["type"] for m in messages} == {"contact.stage_changed"}
    changes = [
        (m["data"]["change"]["from"], m["data"]["change"]["to"], m["data"]["change"]["source"]) for m in messages
    ]
    assert changes == [
        ("aware", "engaged", "rule:registered"),
        ("engaged", "customer", "rule:paid"),
        ("customer", "promoter", "api"),
    ]
    assert messages[-1]["data"]["contact"]["email"] == "ana@example.org"


def test_the_console_shows_the_automatic_labels_and_switches_one_off(app, auth):
    org = make_org()
    client = auth.client_for(make_member(org, "manager"), org)
    page = client.get("/console/contacts/labels").get_data(as_text=True)
    assert "Automatic labels" in page and "Registering for an event adds" in page and "repeat buyer" in page
    paid = Label.get(name="paid", organization=org.id)
    assert client.post("/console/contacts/labels/auto/paid", data={"label": paid.id}).status_code == 303
    assert AutoLabel.get(organization=org.id, trigger="paid").active is False

    other = make_label(make_org(), "theirs")
    client.post("/console/contacts/labels/auto/paid", data={"label": other.id, "active": "y"})
    assert AutoLabel.get(organization=org.id, trigger="paid").label_id == paid.id  # another org's label: refused
    assert client.post("/console/contacts/labels/auto/nothing", data={"label": paid.id}).status_code == 404
    mine = make_label(org, "bought")
    client.post("/console/contacts/labels/auto/paid", data={"label": mine.id, "active": "y"})
    row = AutoLabel.get(organization=org.id, trigger="paid")
    assert (row.label_id, row.active) == (mine.id, True)

    for beyond in (str(10**23), "-1", "NaN"):  # no label can have it
        response = client.post("/console/contacts/labels/auto/paid", data={"label": beyond, "active": "y"})
        assert response.status_code == 303
        assert "Choose the label to add" in client.get("/console/contacts/labels").get_data(as_text=True)
    row = AutoLabel.get(organization=org.id, trigger="paid")
    assert (row.label_id, row.active) == (mine.id, True)


@pytest.mark.parametrize("stage", ["promoter", "aware"])
def test_the_migration_labels_history_without_moving_anyone(app, stage):
    org = make_org()
    contact, _ = _register(org, price=50000)
    contact, _ = _register(org, price=50000)
    # As before the migration: no automatic labels, and a stage of its own.
    ContactLabel.delete().execute()
    AutoLabel.delete().execute()
    Label.delete().execute()
    Contact.update(stage=stage, stage_source="person").execute()
    path = next(p for p in migrate._migration_files() if p.stem == "0542_funnel_auto_labels")
    module = migrate._load(path)
    for statement in module.SQL["postgresql" if is_postgres() else "sqlite"][4:]:
        db.execute_sql(statement)
    contact = Contact.get_by_id(contact.id)
    assert (contact.stage, contact.stage_source) == (stage, "person")
    assert _labels(contact) == {"registered", "paid", "repeat buyer"}
    assert {row.trigger: row.label.name for row in AutoLabel.select()} == {
        "registered": "registered", "paid": "paid", "attended": "attended", "repeat_buyer": "repeat buyer"
    }  # fmt: skip
    assert Label.get(name="paid").stage == "customer"


def test_the_automatic_labels_speak_indonesian(app, auth):
    org = make_org()
    client = auth.client_for(make_member(org, "manager"), org)
    page = client.get("/console/contacts/labels", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert "Label otomatis" in page and "Mendaftar ke acara menambahkan" in page


def test_a_new_organization_has_its_automatic_labels_from_sign_up(app):
    client = app.test_client()
    client.post(
        "/signup",
        data={
            "org_name": "Kopi Nusantara",
            "name": "Sari",
            "email": "sari@example.org",
            "password": "a long password",
            "confirm": "a long password",
            "timezone": "Asia/Jakarta",
            "currency": "IDR",
        },
    )
    org = Organization.get(Organization.name == "Kopi Nusantara")
    rules = {label.name: label.stage for label in Label.select().where(Label.organization == org.id)}
    assert rules == {
        "registered": "engaged",
        "paid": "customer",
        "attended": "engaged",
        "repeat buyer": "loyal_customer",
    }
    page = client.get("/console/contacts/labels").get_data(as_text=True)
    assert "repeat buyer" in page  # before any contact, any registration, any visit to the funnel settings
