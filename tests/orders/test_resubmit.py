"""A registration form sent more than once makes one order, an order code that is taken is drawn
again, latecomers to a sold-out ticket are refused without queuing for the write lock, and a
seat is never both sold and offered to the waiting list."""

import secrets
import threading
import time

from werkzeug.datastructures import MultiDict

from tests.factories.accounts import make_org
from tests.factories.catalog import make_coupon, make_product
from tests.factories.events import make_event
from tests.factories.orders import make_order
from tests.orders.helpers import form, register_url
from webapp.catalog.models import Coupon, Product
from webapp.db import db, write_transaction
from webapp.events.models import Event
from webapp.orders import capacity, checkout, inserts, waitlist
from webapp.orders.models import Order, OrderItem, Registrant, WaitingListEntry


def _submission(event, data: dict) -> checkout.Submission:
    return checkout.read_form(event, MultiDict(data), access=checkout.Access(), locale="en", gateways=["test"])


def test_form_sent_again_after_it_took_the_last_seat_leads_to_its_order(client):
    event = make_event(make_org())
    ticket = make_product(event, quota=1)
    data = form({ticket: 1})
    first = client.post(register_url(event), data=data)
    again = client.post(register_url(event), data=data)  # sold out now, but this form made the order
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert Order.select().count() == 1 and Registrant.select().count() == 1


def test_second_of_two_forms_checked_together_returns_the_first_order_and_undoes_its_coupon_use(app):
    event = make_event(make_org())
    ticket = make_product(event, price=100000)
    coupon = make_coupon(event, usage_limit=5)
    data = form({ticket: 1}, coupon=coupon.code, gateway="test")
    first, second = _submission(event, data), _submission(event, data)  # both checked before either is placed
    order, created = checkout.place_order(first)
    again, created_again = checkout.place_order(second)
    assert created and not created_again
    assert again.id == order.id and again.secret == order.secret
    assert Order.select().count() == 1 and OrderItem.select().count() == 1
    assert Coupon.get_by_id(coupon.id).times_used == 1  # the second one's use was rolled back with it


def test_an_order_code_already_taken_is_drawn_again(app, monkeypatch):
    event = make_event(make_org())
    ticket = make_product(event)
    codes = iter(["KAT3XY", "KAT3XY", "MUN4QR"])
    monkeypatch.setattr(checkout, "new_order_code", lambda: next(codes))
    first, _ = checkout.place_order(_submission(event, form({ticket: 1})))
    second, created = checkout.place_order(_submission(event, form({ticket: 1}, buyer_email="budi@example.org")))
    assert created and (first.code, second.code) == ("KAT3XY", "MUN4QR")
    assert Order.get_by_id(second.id).code == "MUN4QR"
    assert Registrant.select().where(Registrant.order == second.id).get().email == "budi@example.org"


def test_one_form_sent_from_many_tabs_at_once_makes_one_order(threaded_app):
    event = make_event(make_org())
    ticket = make_product(event, quota=100)
    data = form({ticket: 1}, checkout_token=secrets.token_urlsafe(24))
    tabs = 8
    barrier = threading.Barrier(tabs)
    answers: list = [None] * tabs

    def submit(i: int) -> None:
        with threaded_app.app_context():
            db.connect(reuse_if_open=True)
            try:
                submission = _submission(Event.get_by_id(event.id), data)
                barrier.wait(timeout=30)
                answers[i] = checkout.place_order(submission)
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                answers[i] = exc
            finally:
                db.close()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(tabs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(isinstance(a, tuple) for a in answers), answers
    assert len({order.id for order, _ in answers}) == 1
    assert sum(created for _, created in answers) == 1
    assert Order.select().count() == 1 and Registrant.select().count() == 1


def test_latecomers_to_a_sold_out_ticket_are_refused_without_waiting_for_the_write_lock(threaded_app):
    event = make_event(make_org())
    ticket = make_product(event, quota=1)
    client = threaded_app.test_client()
    assert client.post(register_url(event), data=form({ticket: 1})).status_code == 303
    holding, release = threading.Event(), threading.Event()

    def writer_holding_the_lock() -> None:  # another buyer's checkout in the middle of its transaction
        with threaded_app.app_context():
            db.connect(reuse_if_open=True)
            try:
                with write_transaction():  # SQLite: the write lock; PostgreSQL: the event row's lock
                    Event.update(updated_at=Event.updated_at).where(Event.id == event.id).execute()
                    holding.set()
                    release.wait(timeout=8)
            finally:
                db.close()

    thread = threading.Thread(target=writer_holding_the_lock)
    thread.start()
    try:
        assert holding.wait(timeout=10)
        started = time.monotonic()
        response = client.post(register_url(event), data=form({ticket: 1}, buyer_email="late@example.org"))
        waited = time.monotonic() - started
    finally:
        release.set()
        thread.join(timeout=30)
    assert response.status_code == 422 and "Sold out" in response.get_data(as_text=True)
    assert waited < 5  # the write lock was held all along: the answer did not queue behind it
    assert Order.select().count() == 1


def test_a_seat_opened_to_the_waiting_list_while_a_buyer_takes_it_is_not_offered_too(threaded_app, monkeypatch):
    event = make_event(make_org())
    ticket = make_product(event, quota=1)
    make_order(event, {ticket: 1})
    waitlist.join(event, ticket, name="Waiter", email="waiter@example.org")
    Product.update(quota=2).where(Product.id == ticket.id).execute()  # one seat opens
    taking = threading.Event()

    def slowly(insert):  # the buyer's transaction stays open a moment after taking the seat
        def slow_insert(*args, **kwargs):
            written = insert(*args, **kwargs)
            taking.set()
            time.sleep(1.0)
            return written

        return slow_insert

    # The registrant is written on its own (SQLite) or with the whole order, the lock and the
    # seat count in one round trip (PostgreSQL).
    monkeypatch.setattr(inserts, "insert_registrant", slowly(inserts.insert_registrant))
    monkeypatch.setattr(capacity, "write_and_count", slowly(capacity.write_and_count))
    errors: list = []

    def run(action) -> None:
        with threaded_app.app_context():
            db.connect(reuse_if_open=True)
            try:
                action()
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)
            finally:
                db.close()

    def buy() -> None:
        checkout.place_order(_submission(Event.get_by_id(event.id), form({ticket: 1}, buyer_email="budi@example.org")))

    def offer() -> None:
        assert taking.wait(timeout=30)
        waitlist.offer_where_seats_opened()

    threads = [threading.Thread(target=run, args=(buy,)), threading.Thread(target=run, args=(offer,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert Registrant.select().count() == 2
    assert WaitingListEntry.select().where(WaitingListEntry.status == "offered").count() == 0  # no seat left
