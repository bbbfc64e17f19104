"""Operators adding many people at once, one order each (a CSV import's batch): seats, codes,
refusals and announcements."""

from __future__ import annotations

import secrets
import threading

import pytest
from werkzeug.datastructures import MultiDict

from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_order
from webapp import signals
from webapp.accounts.audit import AuditEntry
from webapp.db import db, write_transaction
from webapp.orders import additions, capacity, checkout, service
from webapp.orders.models import Order, OrderItem, Registrant


def person(n: int, **extra) -> dict:
    return {"name": f"Person {n}", "email": f"person{n}@example.org", **extra}


def add_each(event, product, people, *, paid=True, actor=None):
    return service.add_participants_each(
        event, product, people, source="import", paid=paid, send_ticket=False, actor=actor
    )


def test_each_person_gets_an_order_of_their_own(app):
    org = make_org()
    event = make_event(org)
    ticket = make_product(event, price=25000)
    people = [person(1, answers={"7": "Acme"}), person(2), person(3)]
    added = add_each(event, ticket, people, actor=make_member(org))
    assert sorted(added.order_ids) == [0, 1, 2] and not added.no_seat and not added.refused
    orders = {o.id: o for o in Order.select().where(Order.event == event.id)}
    assert set(orders) == set(added.order_ids.values())
    assert len({o.code for o in orders.values()}) == 3 and len({o.secret for o in orders.values()}) == 3
    for index, order_id in added.order_ids.items():
        order = orders[order_id]
        assert (order.buyer_name, order.buyer_email) == (people[index]["name"], people[index]["email"])
        assert (order.status, order.source, order.gateway, order.total) == ("paid", "import", "manual", 25000)
        assert order.paid_at is not None and order.expires_at is None and not order.send_ticket
        (registrant,) = order.registrants
        assert registrant.email == people[index]["email"] and registrant.item.order_id == order_id
        assert registrant.product_id == ticket.id and registrant.organization_id == org.id
    assert Registrant.get(Registrant.email == "person1@example.org").answers == {"7": "Acme"}
    assert len({r.ticket_secret for r in Registrant.select()}) == 3
    assert [e.action for e in AuditEntry.select()] == ["order.add"]  # one entry for the batch


def test_unpaid_additions_hold_their_seats_until_decided(app):
    event = make_event(make_org())
    ticket = make_product(event, quota=2)
    add_each(event, ticket, [person(1), person(2)], paid=False)
    assert {(o.status, o.expires_at, o.paid_at) for o in Order.select()} == {("pending", None, None)}
    assert capacity.availability(event)[ticket.id] == 0


def test_people_beyond_the_seats_left_are_reported_in_list_order(app):
    event = make_event(make_org())
    vip = make_product(event, quota=3)
    make_order(event, {vip: 1})
    added = add_each(event, vip, [person(n) for n in range(5)])
    assert sorted(added.order_ids) == [0, 1] and added.no_seat == [2, 3, 4]
    assert capacity.availability(event)[vip.id] == 0
    assert OrderItem.select().where(OrderItem.product == vip.id).count() == 3


def test_the_event_capacity_limits_a_batch_across_ticket_types(app):
    event = make_event(make_org(), capacity=4)
    other = make_product(event)
    ticket = make_product(event)  # no quota of its own
    make_order(event, {other: 1})
    added = add_each(event, ticket, [person(n) for n in range(5)])
    assert len(added.order_ids) == 3 and added.no_seat == [3, 4]
    assert capacity.event_seats_left(event) == 0


def test_a_sold_out_product_adds_nobody(app):
    event = make_event(make_org())
    vip = make_product(event, quota=1)
    make_order(event, {vip: 1})
    added = add_each(event, vip, [person(1), person(2)])
    assert added.order_ids == {} and added.no_seat == [0, 1]
    assert Order.select().count() == 1 and AuditEntry.select().count() == 0


def test_an_invalid_person_is_refused_and_the_others_are_added(app):
    event = make_event(make_org())
    ticket = make_product(event, quota=2)
    people = [person(1), {"name": "No Mail", "email": "not-an-email"}, person(3), {"name": " ", "email": "x@y.org"}]
    added = add_each(event, ticket, people)
    assert sorted(added.order_ids) == [0, 2] and added.no_seat == []
    assert set(added.refused) == {1, 3} and "valid email" in added.refused[1]
    assert {r.email for r in Registrant.select()} == {"person1@example.org", "person3@example.org"}


def test_an_add_on_cannot_be_added_as_a_ticket(app):
    event = make_event(make_org())
    add_on = make_product(event, admits_entry=False)
    with pytest.raises(service.OrderError):
        add_each(event, add_on, [person(1)])
    assert Order.select().count() == 0


def test_every_added_order_is_announced(app):
    event = make_event(make_org())
    ticket = make_product(event)
    heard = {"created": [], "paid": []}

    def created(sender, order_id, **kwargs):
        heard["created"].append(order_id)

    def paid(sender, order_id, **kwargs):
        heard["paid"].append(order_id)

    with signals.registration_created.connected_to(created), signals.order_paid.connected_to(paid):
        first = add_each(event, ticket, [person(1), person(2)])
        unpaid = add_each(event, ticket, [person(3)], paid=False)
    assert sorted(heard["created"]) == sorted([*first.order_ids.values(), *unpaid.order_ids.values()])
    assert sorted(heard["paid"]) == sorted(first.order_ids.values())


def test_order_codes_never_clash_with_stored_ones_or_each_other(app, monkeypatch):
    event = make_event(make_org())
    taken = make_order(event).code
    drawn = iter([taken, taken, "CCCCCC", "CCCCCC", "DDDDDD"])
    monkeypatch.setattr(additions, "new_order_code", lambda: next(drawn))
    with write_transaction():
        assert sorted(additions.unique_codes(2)) == ["CCCCCC", "DDDDDD"]


def test_a_batch_the_database_refuses_leaves_nothing_behind(app, monkeypatch):
    event = make_event(make_org())
    ticket = make_product(event, quota=5)

    real = additions._insert

    def insert(model, rows, returning=()):
        if model is Registrant:  # orders and items are written by then
            raise RuntimeError("refused")
        return real(model, rows, returning)

    monkeypatch.setattr(additions, "_insert", insert)
    with pytest.raises(RuntimeError):
        add_each(event, ticket, [person(1), person(2)])
    assert Order.select().count() == 0 and OrderItem.select().count() == 0
    assert capacity.availability(event)[ticket.id] == 5


# -- racing the public checkout for the last seats -------------------------------------------------

BUYERS = 6


def test_an_import_batch_and_web_buyers_never_take_more_than_the_quota(threaded_app):
    event = make_event(make_org())
    ticket = make_product(event, quota=8, price=0)
    barrier = threading.Barrier(BUYERS + 1)
    outcomes: dict[str, object] = {}

    def run(name, body):
        with threaded_app.app_context():
            db.connect(reuse_if_open=True)  # this thread's own connection
            try:
                barrier.wait(timeout=30)
                outcomes[name] = body()
            except Exception as exc:  # noqa: BLE001 - reported by the assertions below
                outcomes[name] = exc
            finally:
                db.close()

    def buy(i):
        form = MultiDict({
            "checkout_token": secrets.token_urlsafe(24), "buyer_name": f"Buyer {i}",
            "buyer_email": f"buyer{i}@example.org", "gateway": "test", f"qty-{ticket.id}": "1",
        })  # fmt: skip
        fresh = type(event).get_by_id(event.id)
        try:  # the form is refused already when the batch took the last seats before it was read
            sub = checkout.read_form(fresh, form, access=checkout.Access(), locale="en", gateways=["test"])
            checkout.place_order(sub)
        except checkout.CheckoutError as exc:
            return "sold_out" if "Sold out." in exc.errors.values() else f"refused: {exc.errors}"
        return "ok"

    def batch():
        fresh = type(event).get_by_id(event.id)
        return add_each(fresh, type(ticket).get_by_id(ticket.id), [person(n) for n in range(6)])

    threads = [threading.Thread(target=run, args=(f"buyer{i}", lambda i=i: buy(i))) for i in range(BUYERS)]
    threads.append(threading.Thread(target=run, args=("import", batch)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    added = outcomes["import"]
    assert isinstance(added, service.AddedEach), outcomes
    buyers = [outcomes[f"buyer{i}"] for i in range(BUYERS)]
    assert set(buyers) <= {"ok", "sold_out"}, outcomes
    assert len(added.order_ids) + buyers.count("ok") == 8
    assert len(added.order_ids) + len(added.no_seat) == 6
    assert Registrant.select().where(Registrant.product == ticket.id).count() == 8
