"""An event's own payment settings over the organization's: the methods its checkout offers and
the bank account its transfers go to."""

from __future__ import annotations

import re

import pytest

from tests.factories.accounts import make_member
from tests.factories.payments import configure_bank, configure_gateway, make_pending_order
from webapp.accounts.audit import AuditEntry
from webapp.accounts.models import EventGrant
from webapp.events.models import Event
from webapp.payments import event_settings, service
from webapp.payments.checkout_page import gateways_for
from webapp.payments.models import EventPaymentSettings


@pytest.fixture
def org_with_methods(org):
    configure_bank(org)
    configure_gateway(org, "bank")
    configure_gateway(org, "test")
    return org


def _admin(auth, org):
    return auth.client_for(make_member(org, "admin"), org)


def test_an_event_can_offer_only_some_of_the_organizations_methods(org_with_methods, auth):
    org = org_with_methods
    order = make_pending_order(org)
    event = Event.get_by_id(order.event_id)
    other = make_pending_order(org)
    assert {name for name, _ in gateways_for(event)} == {"bank", "test"}
    client = _admin(auth, org)
    response = client.post(f"/console/events/{event.id}/payments/", data={"own_gateways": "y", "gateways": ["bank"]})
    assert response.status_code == 303

    assert [name for name, _ in gateways_for(event)] == ["bank"]
    with pytest.raises(service.PaymentError):
        service.start_payment(order, "test")
    assert service.start_payment(order, "bank").endswith("/bank")
    # Another event of the organization keeps every method.
    assert "test" in [name for name, _ in gateways_for(Event.get_by_id(other.event_id))]
    page = client.get(f"/console/events/{event.id}/payments/").get_data(as_text=True)
    ticked = set(re.findall(r'<input checked id="gateways-\d+" name="gateways" type="checkbox" value="(\w+)"', page))
    assert ticked == {"bank"}
    assert AuditEntry.get(AuditEntry.action == "payments.event").target_id == event.id


def test_transfers_for_an_event_go_to_its_own_bank_account(org_with_methods, auth, client):
    org = org_with_methods
    order = make_pending_order(org, price=250000)
    other = make_pending_order(org)  # an order of another event
    admin = _admin(auth, org)
    response = admin.post(
        f"/console/events/{order.event_id}/payments/",
        data={"own_bank": "y", "account_holder": "Yayasan Festival", "bank_name": "Bank Mandiri",
              "account_number": "1400-0555-7777", "instructions": "Festival account"},
    )  # fmt: skip
    assert response.status_code == 303
    row = EventPaymentSettings.get()
    assert "1400" not in row.account_number  # encrypted at rest
    assert row.account_number_masked == "•••• 7777"

    page = client.get(service.start_payment(order, "bank").removeprefix("http://rollcall.test")).get_data(as_text=True)
    assert "140005557777" in page and "Bank Mandiri" in page and "Yayasan Festival" in page
    assert "Bank Central Asia" not in page
    other_page = client.get(service.start_payment(other, "bank").removeprefix("http://rollcall.test")).get_data(
        as_text=True
    )
    assert "Bank Central Asia" in other_page and "Bank Mandiri" not in other_page

    settings_page = admin.get(f"/console/events/{order.event_id}/payments/").get_data(as_text=True)
    assert "140005557777" not in settings_page and "•••• 7777" in settings_page

    # Back to the organization's account: the event's account is forgotten.
    assert admin.post(f"/console/events/{order.event_id}/payments/", data={}).status_code == 303
    row = EventPaymentSettings.get()
    assert row.account_number == "" and row.gateways is None
    assert event_settings.bank_details_for(org.id, order.event_id).bank_name == "Bank Central Asia"


def test_bad_settings_are_refused_beside_their_fields(org_with_methods, auth):
    org = org_with_methods
    event = Event.get_by_id(make_pending_order(org).event_id)
    client = _admin(auth, org)
    url = f"/console/events/{event.id}/payments/"
    answers = [
        client.post(url, data={"own_gateways": "y"}),
        client.post(url, data={"own_gateways": "y", "gateways": ["midtrans"]}),
        client.post(url, data={"own_bank": "y", "account_holder": "X", "bank_name": "BCA", "account_number": "12"}),
        client.post(url, data={"own_bank": "y", "account_holder": "Yayasan", "bank_name": "BCA"}),
        client.post(url, data={"own_bank": "y", "account_holder": "a\x00b", "bank_name": "BCA"}),
    ]
    assert [a.status_code for a in answers[:4]] == [422, 422, 422, 422]
    assert answers[4].status_code in (400, 422)
    assert "Choose at least one payment method" in answers[0].get_data(as_text=True)
    assert "Enter the account number." in answers[3].get_data(as_text=True)
    assert not EventPaymentSettings.select().exists()


def test_only_organization_admins_set_an_events_payments(org_with_methods, auth):
    org = org_with_methods
    event = Event.get_by_id(make_pending_order(org).event_id)
    manager = auth.client_for(make_member(org, "manager"), org)
    assert manager.get(f"/console/events/{event.id}/payments/").status_code == 403
    event_manager = make_member(org, "member")
    EventGrant.create(organization=org, event_id=event.id, user=event_manager, role="manager")
    grant_client = auth.client_for(event_manager, org)
    assert grant_client.post(f"/console/events/{event.id}/payments/", data={"own_bank": "y"}).status_code == 403
    details = grant_client.get(f"/console/events/{event.id}").get_data(as_text=True)
    assert f"/console/events/{event.id}/payments/" not in details  # no tab to a page they cannot open
