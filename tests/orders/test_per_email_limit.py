"""The event's limit of registrations per email address: attendee and buyer addresses count,
only orders that hold seats count, operators are not limited."""

from __future__ import annotations

import datetime as dt

from tests.factories.accounts import make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_order
from tests.orders.helpers import form, register_url
from webapp.db import utcnow
from webapp.orders import service
from webapp.orders.models import Order, Registrant


def _event(limit: int = 1, **kwargs):
    event = make_event(make_org(), max_registrations_per_email=limit, **kwargs)
    return event, make_product(event, price=0)


def test_a_second_registration_under_one_address_is_refused_beside_the_email(client):
    event, ticket = _event(limit=1)
    assert client.post(register_url(event), data=form({ticket: 1})).status_code == 303
    response = client.post(register_url(event), data=form({ticket: 1}, buyer_email="ANA@example.org"))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="buyer_email-error"' in body
    assert "This email address already has 1 registration for this event, which allows 1 per address." in body
    assert Order.select().count() == 1 and Registrant.select().count() == 1
    # another address is fine
    assert client.post(register_url(event), data=form({ticket: 1}, buyer_email="budi@example.org")).status_code == 303


def test_the_form_says_the_limit_and_offers_no_more_tickets_than_it(client):
    event, ticket = _event(limit=2)
    page = client.get(register_url(event)).get_data(as_text=True)
    assert "At most 2 registrations per email address" in page
    assert f'name="qty-{ticket.id}" min="0" max="2"' in page


def test_an_order_for_more_people_than_the_limit_is_refused_at_the_tickets(client):
    event, ticket = _event(limit=1)
    data = form({ticket: 2}, **{"a1-name": "Budi Santoso", "a1-email": "budi@example.org"})
    response = client.post(register_url(event), data=data)
    assert response.status_code == 422
    assert "This event allows 1 registration per email address." in response.get_data(as_text=True)
    assert Order.select().count() == 0


def test_the_buyer_counts_for_the_tickets_they_ordered_for_others(client):
    event, ticket = _event(limit=2)
    make_order(event, buyer_email="ana@example.org", attendees=[{"name": "Citra", "email": "citra@example.org"}])
    make_order(event, buyer_email="ana@example.org", attendees=[{"name": "Dewi", "email": "dewi@example.org"}])
    response = client.post(register_url(event), data=form({ticket: 1}))
    assert response.status_code == 422
    assert "already has 2 registrations" in response.get_data(as_text=True)


def test_an_attendee_address_at_its_limit_is_refused_beside_that_attendee(client):
    event, ticket = _event(limit=1)
    make_order(event, buyer_email="budi@example.org")
    event.max_registrations_per_email = 2
    event.save()
    data = form({ticket: 2}, **{"a1-name": "Budi Santoso", "a1-email": "budi@example.org"})
    assert client.post(register_url(event), data=data).status_code == 303  # budi: 1 + 1
    data = form({ticket: 2}, buyer_email="citra@example.org", **{"a1-name": "Budi", "a1-email": "budi@example.org"})
    response = client.post(register_url(event), data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="a1-email-error"' in body and 'id="buyer_email-error"' not in body
    assert Order.select().where(Order.buyer_email == "citra@example.org").count() == 0


def test_pending_orders_count_and_ended_ones_do_not(client):
    event, ticket = _event(limit=1)
    pending = make_order(event, status="pending", buyer_email="ana@example.org")
    assert client.post(register_url(event), data=form({ticket: 1})).status_code == 422
    # a pending order whose hold ran out (not yet swept by the expiry task) holds nothing
    Order.update(expires_at=utcnow() - dt.timedelta(minutes=1)).where(Order.id == pending.id).execute()
    make_order(event, status="canceled", buyer_email="ana@example.org")
    make_order(event, status="refunded", buyer_email="ana@example.org")
    make_order(event, status="expired", buyer_email="ana@example.org")
    assert client.post(register_url(event), data=form({ticket: 1})).status_code == 303


def test_a_canceled_attendee_frees_their_address(client):
    event, ticket = _event(limit=1)
    registrant = make_order(event, buyer_email="ana@example.org").registrants.get()
    service.cancel_registrant(registrant, actor=None, actor_label="test")
    assert client.post(register_url(event), data=form({ticket: 1})).status_code == 303


def test_no_limit_by_default(client):
    event = make_event(make_org())
    ticket = make_product(event, price=0)
    for _ in range(3):
        assert client.post(register_url(event), data=form({ticket: 1})).status_code == 303
    assert Order.select().count() == 3


def test_operators_adding_people_are_not_limited(client):
    event, ticket = _event(limit=1)
    make_order(event, buyer_email="ana@example.org")
    people = [{"name": "Ana Putri", "email": "ana@example.org"}]
    service.add_participants(event, ticket, people, source="console", paid=True, send_ticket=False, actor=None)
    service.add_participants_each(event, ticket, people, source="import", paid=True, send_ticket=False, actor=None)
    assert Registrant.select().where(Registrant.email == "ana@example.org").count() == 3


def test_an_attendee_cannot_move_their_ticket_to_an_address_at_its_limit(client):
    event, ticket = _event(limit=1)
    make_order(event, buyer_email="budi@example.org")
    order = make_order(event, buyer_email="ana@example.org", attendees=[{"name": "Ana", "email": "ana@example.org"}])
    registrant = order.registrants.get()
    url = f"/o/{order.secret}/attendees/{registrant.id}"
    response = client.post(url, data={"name": "Ana", "email": "budi@example.org"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="email-error"' in body and "already has 1 registration" in body
    assert Registrant.get_by_id(registrant.id).email == "ana@example.org"
    # a free address is fine: the ticket still counts once for the buyer, once for citra
    assert client.post(url, data={"name": "Ana", "email": "citra@example.org"}).status_code == 303
    assert Registrant.get_by_id(registrant.id).email == "citra@example.org"
    # an operator may
    service.update_registrant(registrant, name="Ana", email="budi@example.org", answers={}, actor=None)
    assert Registrant.get_by_id(registrant.id).email == "budi@example.org"


def test_the_refusal_is_in_indonesian_for_an_indonesian_page(client):
    event, ticket = _event(limit=1, languages=["en", "id"])
    make_order(event, buyer_email="ana@example.org")
    response = client.post(register_url(event) + "?lang=id", data=form({ticket: 1}))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Alamat email ini sudah memiliki 1 pendaftaran untuk acara ini" in body


def test_a_form_sent_twice_still_leads_to_its_order(client):
    event, ticket = _event(limit=1)
    data = form({ticket: 1})
    first = client.post(register_url(event), data=data)
    second = client.post(register_url(event), data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert Order.select().count() == 1
