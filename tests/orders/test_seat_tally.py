"""The seat tally (orders.models.SeatTally): the database keeps each product's items that are not
canceled, whichever way an item is added, canceled, moved or deleted, and the seats shown and
sold follow it; a writer that frees a seat waits for the event's seat lock before it touches the
tally, so a registration holding that lock is never deadlocked against it (PostgreSQL)."""

from __future__ import annotations

import time

import pytest

from tests.conftest import TEST_DATABASE_URL
from tests.connections import in_another_connection
from tests.factories.accounts import make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_order
from webapp.catalog.models import Product
from webapp.db import db, write_transaction
from webapp.orders import capacity, service
from webapp.orders.models import Order, OrderItem, SeatTally


def _tally(product: Product) -> int:
    return SeatTally.get_by_id(product.id).live_items


def _counted(product: Product) -> int:
    live = (OrderItem.product == product.id) & (OrderItem.canceled == False)  # noqa: E712
    return OrderItem.select().where(live).count()


def test_a_new_product_starts_at_zero_and_every_item_change_keeps_the_tally(app):
    event = make_event(make_org())
    ticket, other = make_product(event, quota=20), make_product(event, quota=20)
    assert (_tally(ticket), _tally(other)) == (0, 0)

    order = make_order(event, {ticket: 3, other: 1})
    assert (_tally(ticket), _tally(other)) == (3, 1)

    first, second = [r for r in order.registrants if r.product_id == ticket.id][:2]
    service.cancel_registrant(first, actor=None)
    service.change_product(second, other, actor=None)
    assert (_tally(ticket), _tally(other)) == (1, 2) == (_counted(ticket), _counted(other))

    service.add_participants(
        event, ticket, [{"name": "Ana", "email": "ana@example.org"}], source="console", paid=True,
        send_ticket=False, actor=None,
    )  # fmt: skip
    assert _tally(ticket) == 2 == _counted(ticket)

    OrderItem.update(canceled=False).where(OrderItem.order == order.id).execute()  # given back by hand
    assert (_tally(ticket), _tally(other)) == (3, 2) == (_counted(ticket), _counted(other))
    OrderItem.delete().where(OrderItem.order == order.id).execute()
    assert (_tally(ticket), _tally(other)) == (1, 0) == (_counted(ticket), _counted(other))


def test_seats_follow_the_tally_and_released_orders(app):
    event = make_event(make_org())
    ticket = make_product(event, quota=10)
    make_order(event, {ticket: 4}, status="paid")
    refunded = make_order(event, {ticket: 2}, status="paid")
    assert capacity.availability(event)[ticket.id] == 4
    refunded.status = "refunded"
    refunded.save()
    # the refunded order's items stay in the tally (not canceled); the count takes them away
    assert _tally(ticket) == 6
    assert capacity.availability(event)[ticket.id] == 6


def test_an_order_deleted_gives_its_seats_back_and_a_product_deleted_its_tally(app):
    event = make_event(make_org())
    ticket, unsold = make_product(event), make_product(event)
    kept, gone = make_order(event, {ticket: 2}), make_order(event, {ticket: 3})
    Order.delete().where(Order.id == gone.id).execute()  # its items go with it
    assert _tally(ticket) == 2 == _counted(ticket)
    assert kept.items.count() == 2
    unsold.delete_instance()
    assert not SeatTally.select().where(SeatTally.product == unsold.id).exists()


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="row locks between connections: PostgreSQL")
def test_a_canceled_seat_waits_for_the_seat_lock_instead_of_deadlocking_a_registration(app):
    """A registration holds the event's seat lock and then adds an item (the tally's row);
    an attendee canceled meanwhile must not hold that row while it waits for the event's lock."""
    event = make_event(make_org())
    ticket = make_product(event, quota=10)
    order = make_order(event, {ticket: 2})
    leaving = order.registrants[0]
    outcome: list = []

    def cancel() -> str:
        service.cancel_registrant(leaving, actor=None)
        return "canceled"

    with write_transaction():
        db.execute_sql("SET LOCAL lock_timeout = '5s'")
        capacity.reserve(event, {ticket.id: 1})  # the event's lock is ours from here to COMMIT
        canceler = in_another_connection(app, cancel, outcome)
        time.sleep(0.5)  # the cancel is now waiting, before or after touching the tally's row
        make_order(event, {ticket: 1})  # its item updates the tally's row
    canceler.join(timeout=30)
    assert outcome == ["canceled"]
    assert _tally(ticket) == 2 == _counted(ticket)
    assert capacity.availability(event)[ticket.id] == 8
