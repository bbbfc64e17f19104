import datetime as dt

import pytest

from tests.factories.accounts import make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_order
from webapp.db import utcnow, write_transaction
from webapp.orders import capacity
from webapp.orders.models import OrderItem


def test_paid_and_pending_orders_take_seats_expired_ones_do_not(app):
    event = make_event(make_org())
    ticket = make_product(event, quota=10)
    make_order(event, {ticket: 2}, status="paid")
    make_order(event, {ticket: 3}, status="pending")
    make_order(event, {ticket: 4}, status="pending", expires_at=utcnow() - dt.timedelta(minutes=1))
    make_order(event, {ticket: 1}, status="canceled")
    assert capacity.availability(event)[ticket.id] == 5


def test_every_order_status_and_canceled_items_count_as_the_seat_rule_says(app):
    event = make_event(make_org())
    ticket = make_product(event, quota=30)
    make_order(event, {ticket: 2}, status="paid")
    make_order(event, {ticket: 3}, status="pending", expires_at=None)  # awaiting approval: held until decided
    make_order(event, {ticket: 1}, status="pending", expires_at=utcnow() + dt.timedelta(minutes=5))
    for released in ("expired", "canceled", "refunded"):
        make_order(event, {ticket: 4}, status=released)
    partly = make_order(event, {ticket: 3}, status="paid")
    OrderItem.update(canceled=True).where(OrderItem.id == partly.items[0].id).execute()  # one seat given back
    gone = make_order(event, {ticket: 2}, status="canceled")
    OrderItem.update(canceled=True).where(OrderItem.order == gone.id).execute()
    other = make_event(make_org())
    make_order(other, {make_product(other): 5}, status="paid")
    assert capacity.availability(event)[ticket.id] == 30 - (2 + 3 + 1 + 2)


def test_unlimited_product_is_none_until_event_capacity_applies(app):
    event = make_event(make_org())
    ticket = make_product(event)
    addon = make_product(event, admits_entry=False)
    assert capacity.availability(event) == {ticket.id: None, addon.id: None}
    event.capacity = 3
    event.save()
    make_order(event, {ticket: 1, addon: 5})
    assert capacity.availability(event) == {ticket.id: 2, addon.id: None}


def test_reserve_refuses_more_than_the_quota(app):
    event = make_event(make_org())
    ticket = make_product(event, quota=2)
    make_order(event, {ticket: 1})
    with write_transaction():
        capacity.reserve(event, {ticket.id: 1})
    with pytest.raises(capacity.SoldOut) as info, write_transaction():
        capacity.reserve(event, {ticket.id: 2})
    assert info.value.product_id == ticket.id


def test_reserve_applies_event_capacity_across_products(app):
    event = make_event(make_org(), capacity=3)
    a = make_product(event)
    b = make_product(event)
    make_order(event, {a: 2})
    with pytest.raises(capacity.SoldOut) as info, write_transaction():
        capacity.reserve(event, {a.id: 1, b.id: 1})
    assert info.value.product_id is None


def test_reserve_outside_a_transaction_is_a_bug(app):
    event = make_event(make_org())
    ticket = make_product(event)
    with pytest.raises(RuntimeError):
        capacity.reserve(event, {ticket.id: 1})
