"""A form's first check of the seats (which only spares a sold-out form the wait for the seat lock)
takes the count this process made under the lock moments before, at the same page version, instead
of counting again. The count under the lock still decides: a copy that says "seats left" never sells
a seat that is gone, and one that says "sold out" never turns a buyer away from a seat that is back."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from tests.factories.accounts import make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_order
from tests.orders.helpers import form
from tests.round_trips import on_postgres, statements_sent, worker_elsewhere  # noqa: F401
from webapp.db import db
from webapp.orders import checkout
from webapp.orders.models import Order, OrderItem


def _read(event, products: dict, email: str) -> checkout.Submission:
    return checkout.read_form(
        event, MultiDict(form(products, buyer_email=email)), access=checkout.Access(), locale="en", gateways=["test"]
    )


def _place(event, products: dict, email: str) -> Order:
    order, created = checkout.place_order(_read(event, products, email))
    assert created
    return order


def test_a_seat_sold_elsewhere_after_the_count_is_refused_under_the_lock(app):
    event = make_event(make_org())
    ticket = make_product(event, quota=2)
    _place(event, {ticket: 1}, "first@example.org")  # this process counted: 1 left
    make_order(event, {ticket: 1}, buyer_email="other-node@example.org")  # another node sold the last one
    with pytest.raises(checkout.CheckoutError) as refused:  # at the first check or under the lock
        checkout.place_order(_read(event, {ticket: 1}, "late@example.org"))
    assert refused.value.errors == {f"qty-{ticket.id}": "Sold out."}
    assert Order.select().where(Order.buyer_email == "late@example.org").count() == 0
    assert OrderItem.select().where(OrderItem.product == ticket.id).count() == 2  # none oversold


def test_a_seat_back_after_a_sold_out_count_is_sold_at_once(app):
    event = make_event(make_org())
    ticket = make_product(event, quota=1)
    first = _place(event, {ticket: 1}, "first@example.org")  # this process counted: sold out
    Order.update(status="canceled").where(Order.id == first.id).execute()  # canceled on another node
    order = _place(event, {ticket: 1}, "next@example.org")
    assert order.buyer_email == "next@example.org"


def test_an_edit_of_the_ticket_is_seen_by_the_next_form(app):
    event = make_event(make_org())
    ticket = make_product(event, quota=5)
    _place(event, {ticket: 1}, "first@example.org")
    ticket.quota = 1  # an operator lowers the quota (the event's page version goes up)
    ticket.save()
    event = type(event).get_by_id(event.id)
    with pytest.raises(checkout.CheckoutError) as refused:
        _read(event, {ticket: 1}, "late@example.org")
    assert refused.value.errors == {f"qty-{ticket.id}": "Sold out."}


@on_postgres
@pytest.mark.usefixtures("worker_elsewhere")
def test_a_form_after_a_registration_sends_no_seat_count_of_its_own(app):
    event = make_event(make_org())
    ticket = make_product(event, quota=100)
    _place(event, {ticket: 1}, "first@example.org")
    with statements_sent(db.connection()) as sent:
        _read(event, {ticket: 1}, "second@example.org")
    assert not any("sold" in s or 'FROM "orderitem"' in s.lower() for s in sent), sent
    assert len(sent) <= 2, sent  # the questions; no seat count (prepared: EXECUTE rollcall_N)
