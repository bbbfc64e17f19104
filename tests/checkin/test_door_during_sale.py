"""The door and the registration desk on one event at once (PostgreSQL): a scan writes a check-in
row that points at the event, and must not wait for the event's seat lock, which a registration
holds from its seat count to its COMMIT (and every buyer behind it in turn)."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from tests.conftest import TEST_DATABASE_URL
from tests.connections import in_another_connection
from tests.factories.accounts import make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_registrant
from tests.orders.helpers import form
from webapp.checkin import service
from webapp.checkin.lists import default_list
from webapp.checkin.models import Checkin
from webapp.db import write_transaction
from webapp.orders import capacity, checkout, per_email

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="row locks between connections: PostgreSQL")


def _scan_in_another_connection(app, event, guest, answers: list):
    """The guest's ticket scanned at the door, in a thread with its own connection."""
    secret = guest.ticket_secret
    return in_another_connection(
        app, lambda: service.redeem(service.event_for_scan(event.id, event.organization_id, secret), secret), answers
    )


@pytest.mark.parametrize("lock", ["seats reserved", "per-email limit checked"])
def test_a_door_scan_is_answered_while_a_registration_holds_the_seat_lock(app, lock):
    event = make_event(make_org())
    ticket = make_product(event, quota=10)
    guest = make_registrant(event, ticket)
    default_list(event)  # made before: making it takes the event row's lock too
    answers: list = []
    with write_transaction():  # a registration between its seat count and its COMMIT
        if lock == "seats reserved":
            capacity.reserve(event, {ticket.id: 1})
        else:
            per_email.check(event.id, [("buyer@example.org", "buyer@example.org")])
        door = _scan_in_another_connection(app, event, guest, answers)
        door.join(timeout=5)
        answered_meanwhile = not door.is_alive()
    door.join(timeout=30)
    assert answered_meanwhile, "the scan waited for the registration's COMMIT"
    assert [getattr(a, "result", a) for a in answers] == ["ok"]
    assert Checkin.select().where((Checkin.event == event.id) & (Checkin.result == "ok")).count() == 1


def test_a_door_scan_is_answered_while_a_registration_written_first_holds_the_seat_lock(app, monkeypatch):
    """A registration that takes only seats writes its rows under the lock, then counts: the
    scan is answered while it holds the lock with its rows written (before its check)."""
    event = make_event(make_org())
    ticket = make_product(event, quota=10)
    guest = make_registrant(event, ticket)
    default_list(event)
    answers: list = []
    answered_meanwhile: list = []
    check = capacity.check_written

    def scan_first(*args):
        door = _scan_in_another_connection(app, event, guest, answers)
        door.join(timeout=5)
        answered_meanwhile.append(not door.is_alive())
        door.join(timeout=30)
        return check(*args)

    monkeypatch.setattr(capacity, "check_written", scan_first)
    sub = checkout.read_form(
        event, MultiDict(form({ticket: 1})), access=checkout.Access(), locale="en", gateways=["test"]
    )
    _order, created = checkout.place_order(sub)
    assert created
    assert answered_meanwhile == [True], "the scan waited for the registration's COMMIT"
    assert [getattr(a, "result", a) for a in answers] == ["ok"]


def test_registrations_still_wait_for_each_other(app):
    """The lock still serializes every writer that takes seats: a second reserve waits."""
    event = make_event(make_org())
    ticket = make_product(event, quota=1)
    outcome: list = []

    def second_buyer() -> str:
        try:
            with write_transaction():
                capacity.reserve(event, {ticket.id: 1})
        except capacity.SoldOut:
            return "sold out"
        return "reserved"

    with write_transaction():
        capacity.reserve(event, {ticket.id: 1})
        buyer = in_another_connection(app, second_buyer, outcome)
        buyer.join(timeout=1)
        waited = buyer.is_alive()
    buyer.join(timeout=30)
    assert waited and outcome == ["reserved"]
