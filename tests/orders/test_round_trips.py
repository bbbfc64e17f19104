"""A registration on PostgreSQL is two round trips: BEGIN, the event's seat lock, one statement
writing the order, its items, its registrants and the work items of its signals, and the seat
count go together; then COMMIT, once the count says the order fits (a refused order rolls back
with its rows). A coupon's uses are counted in that first message too, and the coupon's rule
decides on the coupon as the message found it: one that no longer gives the form's price (used
up, edited, switched off, deleted) undoes the message, and the path that checks first says why.
So are the registrations that a per-email limit counts against its addresses. A registration
that takes more than that (a group's counted seats or acceptances, an invitation, a waiting-list
offer) is checked before it is written: three round trips, the lock and the count, the writes,
COMMIT. The rows are those the statement-per-row path writes."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from tests.factories.accounts import make_org
from tests.factories.catalog import make_coupon, make_product, make_question
from tests.factories.events import make_event
from tests.orders.helpers import form
from tests.round_trips import on_postgres, statements_sent, worker_elsewhere  # noqa: F401
from webapp import work
from webapp.catalog import groups as catalog_groups
from webapp.catalog.models import Coupon
from webapp.db import db
from webapp.events.models import Event
from webapp.orders import capacity, checkout
from webapp.orders.models import Order, OrderItem, Registrant, SeatTally
from webapp.work import WorkItem

pytestmark = [on_postgres, pytest.mark.usefixtures("worker_elsewhere")]


def _place(event, data: dict) -> Order:
    sub = checkout.read_form(event, MultiDict(data), access=checkout.Access(), locale="en", gateways=["test"])
    order, created = checkout.place_order(sub)
    assert created
    return order


def test_a_registration_is_two_round_trips_the_lock_the_writes_and_the_count_then_commit(app):
    event = make_event(make_org())
    ticket = make_product(event)
    sub = checkout.read_form(
        event, MultiDict(form({ticket: 2}, **{"a1-name": "Budi"})), access=checkout.Access(), locale="en",
        gateways=["test"],
    )  # fmt: skip
    with statements_sent(db.connection()) as sent:
        order, created = checkout.place_order(sub)
    assert created
    # BEGIN with the lock, the writes and the seat count, then COMMIT
    assert len(sent) == 2, sent
    assert sent[0].startswith("BEGIN; ") and sent[-1] == "COMMIT"
    assert sent[0].count("EXECUTE") == 3  # the event row's lock, the writes and the count, in one message
    people = Registrant.select().where(Registrant.order == order.id).order_by(Registrant.id)
    assert [p.name for p in people] == ["Ana Putri", "Budi"]
    assert {p.item_id for p in people} == {i.id for i in OrderItem.select().where(OrderItem.order == order.id)}
    signals = sorted(item.payload["signal"] for item in _order_work())
    assert signals == ["order-paid", "registration-created"]  # a free order is paid at once


def _rows(order: Order) -> dict:
    """What a registration wrote, without what differs between two of them by nature (ids, the
    buyer, secrets, the moment)."""
    skip = {"id", "order", "item", "ticket_secret", "email", "created_at", "updated_at"}

    def plain(row) -> dict:
        return {k: v for k, v in row.__data__.items() if k not in skip}

    items = list(OrderItem.select().where(OrderItem.order == order.id).order_by(OrderItem.id))
    people = list(Registrant.select().where(Registrant.order == order.id).order_by(Registrant.id))
    announced = WorkItem.select().where(WorkItem.payload.contains(f'"order_id":{order.id}}}')).order_by(WorkItem.id)
    product_of_item = {i.id: i.product_id for i in items}
    assert len({p.item_id for p in people}) == len(people)  # one item each
    return {
        "items": [plain(i) for i in items],
        "people": [{**plain(p), "item's product": product_of_item[p.item_id]} for p in people],
        "work": [
            (w.kind, w.payload["signal"], w.priority, w.attempts, w.max_attempts, w.run_after == w.created_at)
            for w in announced
        ],
    }


def test_the_one_statement_writes_the_rows_the_statement_per_row_path_writes(monkeypatch):
    event = make_event(make_org())
    ticket = make_product(event, price=150000)
    extra = make_product(event, price=20000, admits_entry=False)  # an add-on: an item, nobody admitted
    company = make_question(event, label="Company", per_attendee=True)
    fields = {
        "gateway": "test", "a1-name": "Budi", f"a0-q{company.id}": "Acme", f"a1-q{company.id}": "Globex",
        "a1-email": "budi@example.org",
    }  # fmt: skip
    batched = _place(event, form({ticket: 2, extra: 1}, **fields))
    monkeypatch.setattr(checkout, "is_postgres", lambda: False)  # SQLite's path: a statement per row
    plain = _place(event, form({ticket: 2, extra: 1}, buyer_email="citra@example.org", **fields))
    assert _rows(batched) == _rows(plain)
    rows = _rows(batched)
    assert [p["answers"] for p in rows["people"]] == [{str(company.id): "Acme"}, {str(company.id): "Globex"}]
    assert [(i["product"], i["price"]) for i in rows["items"]] == [(ticket.id, 150000)] * 2 + [(extra.id, 20000)]
    assert rows["work"] == [("signal", "registration-created", work.URGENT, 0, 8, True)]  # pending: not paid yet
    assert Order.get_by_id(batched.id).total == Order.get_by_id(plain.id).total == 320000


def test_a_taken_checkout_token_writes_nothing_and_returns_the_first_order(app):
    event = make_event(make_org())
    ticket = make_product(event)
    data = form({ticket: 1})
    first = _place(event, data)
    sub = checkout.read_form(event, MultiDict(data), access=checkout.Access(), locale="en", gateways=["test"])
    again, created = checkout.place_order(sub)
    assert not created and again.id == first.id
    assert (Order.select().count(), OrderItem.select().count(), Registrant.select().count()) == (1, 1, 1)
    assert len(_order_work()) == 2  # the first order's two signals only


def test_an_order_refused_by_the_count_after_its_rows_leaves_nothing_written(app):
    event = make_event(make_org())
    ticket = make_product(event, quota=2)
    sub = checkout.read_form(
        event, MultiDict(form({ticket: 2}, **{"a1-name": "Budi"})), access=checkout.Access(), locale="en",
        gateways=["test"],
    )  # fmt: skip
    _place(event, form({ticket: 1}, buyer_email="citra@example.org"))  # one of the two seats goes meanwhile
    with statements_sent(db.connection()) as sent, pytest.raises(checkout.CheckoutError) as refused:
        checkout.place_order(sub)
    assert refused.value.errors == {f"qty-{ticket.id}": "Only 1 left."}
    assert sent[-1] == "ROLLBACK" and len(sent) == 2, sent  # written, counted, undone
    assert (Order.select().count(), OrderItem.select().count(), Registrant.select().count()) == (1, 1, 1)
    assert SeatTally.get(SeatTally.product == ticket.id).live_items == 1
    assert len(_order_work()) == 2  # the first order's signals only
    assert capacity.availability(event)[ticket.id] == 1


def test_a_per_email_limit_set_after_the_form_was_read_is_still_applied(app):
    event = make_event(make_org())
    ticket = make_product(event)
    _place(event, form({ticket: 1}, buyer_email="ana@example.org"))
    sub = checkout.read_form(
        event, MultiDict(form({ticket: 1}, buyer_email="ana@example.org")), access=checkout.Access(), locale="en",
        gateways=["test"],
    )  # fmt: skip
    Event.update(max_registrations_per_email=1).where(Event.id == event.id).execute()  # the copy the form read: none
    with pytest.raises(checkout.CheckoutError) as refused:
        checkout.place_order(sub)
    assert list(refused.value.errors) == ["buyer_email"]
    assert (Order.select().count(), OrderItem.select().count(), Registrant.select().count()) == (1, 1, 1)


def _read(event, data: dict) -> checkout.Submission:
    return checkout.read_form(event, MultiDict(data), access=checkout.Access(), locale="en", gateways=["test"])


def test_a_registration_with_a_coupon_is_two_round_trips_and_counts_its_uses(app):
    event = make_event(make_org())
    ticket = make_product(event, price=100000)
    coupon = make_coupon(event, value=25, usage_limit=3, times_used=1, per_order_limit=2)  # its last two uses
    sub = _read(event, form({ticket: 3}, coupon=coupon.code, gateway="test", **{"a1-name": "Budi", "a2-name": "Citra"}))
    with statements_sent(db.connection()) as sent:
        order, created = checkout.place_order(sub)
    assert created
    assert len(sent) == 2 and sent[-1] == "COMMIT", sent
    assert sent[0].count("EXECUTE") == 4  # the lock, the coupon's uses, the writes and the count
    assert Coupon.get_by_id(coupon.id).times_used == 3  # two of the three tickets discounted
    placed = Order.get_by_id(order.id)
    assert (placed.coupon_id, placed.coupon_uses, placed.discount, placed.total) == (coupon.id, 2, 50000, 250000)
    discounts = [i.discount for i in OrderItem.select().where(OrderItem.order == order.id).order_by(OrderItem.id)]
    assert discounts == [25000, 25000, 0]


def test_a_coupon_edited_without_changing_the_price_is_still_written_first(app):
    event = make_event(make_org())
    ticket = make_product(event, price=100000)
    coupon = make_coupon(event, usage_limit=3)
    sub = _read(event, form({ticket: 1}, coupon=coupon.code, gateway="test"))
    Coupon.update(usage_limit=50, times_used=1).where(Coupon.id == coupon.id).execute()  # another order used it
    with statements_sent(db.connection()) as sent:
        order, _created = checkout.place_order(sub)
    assert len(sent) == 2 and sent[-1] == "COMMIT", sent
    assert Coupon.get_by_id(coupon.id).times_used == 2
    assert Order.get_by_id(order.id).total == 90000


def _edits(coupon: Coupon) -> dict:
    """Changes made to a coupon (limit 3, two uses left for a form of two tickets) after the form
    was read, and the reason the registration is then refused with."""
    past = coupon.created_at.replace(year=2001)
    query = Coupon.update
    return {
        "used up": (query(times_used=3), "This code has been used up."),
        "switched off": (query(active=False), "This code is not valid for this event."),
        "expired": (query(valid_until=past), "This code has expired."),
        "fewer uses left": (
            query(times_used=2),
            "The price changed: the code has fewer uses left. Check the total and submit again.",
        ),
        "another value": (
            query(value=50),
            "The price changed: the code's discount was changed. Check the total and submit again.",
        ),
    }


@pytest.mark.parametrize("edit", ["used up", "switched off", "expired", "fewer uses left", "another value"])
def test_a_coupon_changed_after_the_form_was_read_is_decided_by_the_path_that_checks_first(app, edit):
    event = make_event(make_org())
    ticket = make_product(event, price=100000)
    coupon = make_coupon(event, usage_limit=3, times_used=1)
    sub = _read(event, form({ticket: 2}, coupon=coupon.code, gateway="test", **{"a1-name": "Budi"}))
    assert sub.quote.total == 180000  # both tickets 10 % off: two of the code's three uses left
    change, reason = _edits(coupon)[edit]
    change.where(Coupon.id == coupon.id).execute()
    uses_before = Coupon.get_by_id(coupon.id).times_used
    with statements_sent(db.connection()) as sent, pytest.raises(checkout.CheckoutError) as refused:
        checkout.place_order(sub)
    assert sent[1] == "ROLLBACK", sent  # the written rows and the counted uses undone first
    assert refused.value.errors == {"coupon": reason}
    assert (Order.select().count(), OrderItem.select().count(), Registrant.select().count()) == (0, 0, 0)
    assert Coupon.get_by_id(coupon.id).times_used == uses_before
    assert SeatTally.get(SeatTally.product == ticket.id).live_items == 0
    assert _order_work() == []


def test_a_coupon_deleted_after_the_form_was_read_refuses_the_code_and_writes_nothing(app):
    event = make_event(make_org())
    ticket = make_product(event, price=100000)
    coupon = make_coupon(event)
    sub = _read(event, form({ticket: 1}, coupon=coupon.code, gateway="test"))
    Coupon.delete_by_id(coupon.id)  # unused: an operator may delete it
    with pytest.raises(checkout.CheckoutError) as refused:
        checkout.place_order(sub)
    assert refused.value.errors == {"coupon": "This code is not valid for this event."}
    assert (Order.select().count(), OrderItem.select().count(), Registrant.select().count()) == (0, 0, 0)
    assert _order_work() == []


def test_a_registration_under_a_per_email_limit_is_two_round_trips_and_refused_beside_the_address(app):
    event = make_event(make_org(), max_registrations_per_email=2)
    ticket = make_product(event)
    for_herself = _read(event, form({ticket: 1}))  # one against Ana's address
    with statements_sent(db.connection()) as sent:
        checkout.place_order(for_herself)
    assert len(sent) == 2 and sent[-1] == "COMMIT", sent
    assert sent[0].count("EXECUTE") == 3  # the lock, the writes, the count with the addresses' registrations
    two_more = _read(event, form({ticket: 2}, **{"a1-name": "Budi", "a1-email": "budi@example.org"}))
    with statements_sent(db.connection()) as sent, pytest.raises(checkout.CheckoutError) as refused:
        checkout.place_order(two_more)  # Ana would order a third ticket under her address
    assert refused.value.errors == {
        "buyer_email": "This email address already has 1 registration for this event, which allows 2 per address."
    }
    assert len(sent) == 2 and sent[-1] == "ROLLBACK", sent  # written, counted, undone
    assert (Order.select().count(), Registrant.select().count()) == (1, 1)


def test_the_per_email_limit_written_first_counts_the_attendees_addresses_and_not_the_released(app):
    event = make_event(make_org(), max_registrations_per_email=2)
    ticket = make_product(event)
    budi, citra = {"buyer_name": "Budi", "buyer_email": "budi@example.org"}, {"buyer_email": "citra@example.org"}
    _place(event, form({ticket: 2}, **budi, **{"a1-name": "Budi's guest"}))  # two against Budi's address
    gone = _place(event, form({ticket: 2}, buyer_name="Citra", **citra, **{"a1-name": "Citra's guest"}))
    Order.update(status="canceled").where(Order.id == gone.id).execute()  # holds no seat
    for_budi = _read(event, form({ticket: 2}, **{"a1-name": "Budi", "a1-email": "budi@example.org"}))
    with pytest.raises(checkout.CheckoutError) as refused:
        checkout.place_order(for_budi)  # Ana's own address is within the limit, Budi's is not
    assert refused.value.errors == {
        "a1-email": "This email address already has 2 registrations for this event, which allows 2 per address."
    }
    again = _read(event, form({ticket: 2}, buyer_name="Citra", **citra, **{"a1-name": "Citra's guest"}))
    with statements_sent(db.connection()) as sent:
        order, created = checkout.place_order(again)  # her canceled registrations do not count
    assert created and len(sent) == 2 and sent[-1] == "COMMIT", sent
    assert Registrant.select().where(Registrant.order == order.id).count() == 2


def _order_work() -> list[WorkItem]:
    """The work items recorded, without the organization's own sign-up signal."""
    return [item for item in WorkItem.select() if item.payload.get("signal") != "organization-created"]


def test_a_limited_groups_seats_are_counted_in_the_lock_message_and_still_refuse_the_overflow(app):
    event = make_event(make_org())
    ticket = make_product(event)
    group = catalog_groups.default_group(event)
    group.capacity = 3
    group.save()
    first = checkout.read_form(
        event, MultiDict(form({ticket: 2}, **{"a1-name": "Budi"})), access=checkout.Access(), locale="en",
        gateways=["test"],
    )  # fmt: skip
    with statements_sent(db.connection()) as sent:
        checkout.place_order(first)
    assert len(sent) == 3, sent  # BEGIN with the lock and seats of the event and its group, the writes, COMMIT
    assert sent[0].startswith("BEGIN; ") and sent[0].count("EXECUTE") == 2
    second = checkout.read_form(
        event, MultiDict(form({ticket: 2}, **{"a1-name": "Citra"})), access=checkout.Access(), locale="en",
        gateways=["test"],
    )  # fmt: skip
    with pytest.raises(checkout.CheckoutError) as refused:
        checkout.place_order(second)
    assert refused.value.errors == {"tickets": "Only 1 left."}
    assert Registrant.select().where(Registrant.group == group.id).count() == 2


def test_an_accept_limit_groups_registrations_are_counted_in_the_lock_message(app):
    event = make_event(make_org())
    ticket = make_product(event)
    speakers = catalog_groups.create(
        event, {"name": "Speakers", "registration": "accept_limit", "accept_limit": "1"}, actor=None
    )
    orders = []
    for n in range(2):
        access = checkout.find_access(event, group_key=speakers.key)
        sub = checkout.read_form(
            event, MultiDict(form({ticket: 1}, buyer_email=f"speaker{n}@example.org")), access=access, locale="en",
            gateways=["test"],
        )  # fmt: skip
        with statements_sent(db.connection()) as sent:
            order, _created = checkout.place_order(sub)
        assert len(sent) == 3, sent
        orders.append(order)
    assert [o.approval for o in orders] == ["none", "pending"]  # the second awaits the operator
    assert {r.group_id for r in Registrant.select()} == {speakers.id}
