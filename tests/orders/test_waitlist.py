import datetime as dt

from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_order
from tests.orders.helpers import form, register_url
from webapp.db import utcnow
from webapp.mail.models import Outbox
from webapp.orders import capacity, service, waitlist
from webapp.orders.models import Order, WaitingListEntry


def _sold_out_event(quota=2):
    org = make_org()
    event = make_event(org)
    ticket = make_product(event, quota=quota)
    orders = [make_order(event, {ticket: 1}) for _ in range(quota)]
    return org, event, ticket, orders


def _join(event, ticket, n):
    return [waitlist.join(event, ticket, name=f"Waiter {i}", email=f"w{i}@example.org") for i in range(n)]


def _offers():
    return list(WaitingListEntry.select().where(WaitingListEntry.status == "offered"))


def test_joining_is_only_for_sold_out_products(app):
    event = make_event(make_org())
    ticket = make_product(event, quota=1)
    import pytest

    with pytest.raises(waitlist.WaitlistError):
        waitlist.join(event, ticket, name="Early", email="early@example.org")
    make_order(event, {ticket: 1})
    entry = waitlist.join(event, ticket, name="Late", email="LATE@example.org")
    assert entry.status == "waiting" and entry.email == "late@example.org"
    assert waitlist.join(event, ticket, name="Late", email="late@example.org").id == entry.id


def test_a_freed_seat_is_offered_to_the_first_person_and_held_for_them(app):
    _, event, ticket, orders = _sold_out_event()
    first, second, _ = _join(event, ticket, 3)
    service.cancel_order(orders[0], actor=None)
    assert [e.id for e in _offers()] == [first.id]
    assert capacity.availability(event)[ticket.id] == 0  # held for the person offered
    mail = Outbox.get(Outbox.kind == "waitlist.offer")
    assert mail.to_email == "w0@example.org" and f"/w/{first.token}" in mail.text_body


def test_never_more_seats_offered_than_freed(app):
    _, event, ticket, orders = _sold_out_event(quota=3)
    _join(event, ticket, 5)
    service.cancel_order(orders[0], actor=None)
    service.cancel_order(orders[1], actor=None)
    assert len(_offers()) == 2
    waitlist.offer_where_seats_opened()
    assert len(_offers()) == 2
    assert capacity.availability(event)[ticket.id] == 0


def test_an_unused_offer_passes_to_the_next_person(app):
    _, event, ticket, orders = _sold_out_event()
    first, second, third = _join(event, ticket, 3)
    service.cancel_order(orders[0], actor=None)
    WaitingListEntry.update(offer_expires_at=utcnow() - dt.timedelta(seconds=1)).where(
        WaitingListEntry.id == first.id
    ).execute()
    assert waitlist.lapse_offers() == 1
    assert WaitingListEntry.get_by_id(first.id).status == "lapsed"
    assert [e.id for e in _offers()] == [second.id]
    assert WaitingListEntry.get_by_id(third.id).status == "waiting"


def test_the_offer_link_registers_into_the_held_seat(client):
    _, event, ticket, orders = _sold_out_event(quota=1)
    (entry,) = _join(event, ticket, 1)
    service.cancel_order(orders[0], actor=None)
    # the public cannot take the held seat
    stranger = client.post(register_url(event), data=form({ticket: 1}, buyer_email="s@example.org"))
    assert stranger.status_code == 422
    landing = client.get(f"/w/{WaitingListEntry.get_by_id(entry.id).token}")
    assert landing.status_code == 302 and "offer=" in landing.headers["Location"]
    response = client.post(register_url(event), data=form({ticket: 1}, offer=entry.token, buyer_email="w0@example.org"))
    assert response.status_code == 303
    entry = WaitingListEntry.get_by_id(entry.id)
    assert entry.status == "converted" and entry.order.status == "paid"
    assert Order.select().where(Order.status == "paid").count() == 1


def test_expired_offer_link_says_so(client):
    _, event, ticket, orders = _sold_out_event(quota=1)
    (entry,) = _join(event, ticket, 1)
    service.cancel_order(orders[0], actor=None)
    WaitingListEntry.update(offer_expires_at=utcnow() - dt.timedelta(seconds=1)).execute()
    waitlist.lapse_offers()
    assert client.get(f"/w/{entry.token}").status_code == 410


def test_expiry_of_a_pending_order_offers_its_seat(app):
    event = make_event(make_org())
    ticket = make_product(event, quota=1)
    order = make_order(event, {ticket: 1}, status="pending")
    (entry,) = _join(event, ticket, 1)
    Order.update(expires_at=utcnow() - dt.timedelta(seconds=1)).execute()
    service.expire_due_orders()
    assert WaitingListEntry.get_by_id(entry.id).status == "offered"
    assert order.id


def test_operators_reorder_the_list(auth):
    org, event, ticket, orders = _sold_out_event(quota=1)
    a, b = _join(event, ticket, 2)
    client = auth.client_for(make_member(org), org)
    page = client.get(f"/console/events/{event.id}/waiting-list").get_data(as_text=True)
    assert page.index("Waiter 0") < page.index("Waiter 1")
    client.post(f"/console/waiting-list/{b.id}/up")
    page = client.get(f"/console/events/{event.id}/waiting-list").get_data(as_text=True)
    assert page.index("Waiter 1") < page.index("Waiter 0")
    service.cancel_order(orders[0], actor=None)
    assert [e.id for e in _offers()] == [b.id]


def test_joining_from_the_landing_page(client):
    _, event, ticket, _ = _sold_out_event(quota=1)
    url = f"/e/{event.organization.slug}/{event.slug}/waiting-list"
    bad = client.post(url, data={"product_id": ticket.id, "name": "", "email": "nope"}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and WaitingListEntry.select().count() == 0
    good = client.post(url, data={"product_id": ticket.id, "name": "Rina", "email": "rina@example.org"})
    assert "You are on the waiting list" in good.get_data(as_text=True)
    assert WaitingListEntry.select().count() == 1


def test_a_name_with_a_line_break_cannot_join_the_waiting_list(client):
    _, event, ticket, _ = _sold_out_event(quota=1)
    response = client.post(
        f"/e/{event.organization.slug}/{event.slug}/waiting-list",
        data={"product_id": ticket.id, "name": "Ana\r\nBcc: victim@example.org", "email": "ana@example.org"},
    )
    assert response.status_code == 422
    assert "Write the name on one line" in response.get_data(as_text=True)
    assert WaitingListEntry.select().count() == 0


def test_a_name_over_200_characters_is_refused_on_the_waiting_list_not_cut(client):
    _, event, ticket, _ = _sold_out_event(quota=1)
    url = f"/e/{event.organization.slug}/{event.slug}/waiting-list"
    response = client.post(url, data={"product_id": ticket.id, "name": "R" * 201, "email": "rina@example.org"})
    assert response.status_code == 422
    assert "Keep the name to 200 characters or fewer." in response.get_data(as_text=True)
    assert WaitingListEntry.select().count() == 0
