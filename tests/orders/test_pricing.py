import datetime as dt

from tests.factories.accounts import make_org
from tests.factories.catalog import make_coupon, make_product
from tests.factories.events import make_event
from webapp.db import utcnow
from webapp.orders import pricing


def _event(currency="IDR"):
    return make_event(make_org(), currency=currency)


def test_percent_discount_is_floored_per_unit(app):
    event = _event("USD")
    ticket = make_product(event, price=999)  # $9.99
    make_coupon(event, code="THIRD", kind="percent", value=33)
    quote = pricing.quote(event, {ticket: 3}, "third")
    assert [line.unit_discounts for line in quote.lines] == [[329, 329, 329]]  # 999*33/100 = 329.67 -> 329
    assert quote.total == 3 * 999 - 3 * 329


def test_fixed_coupon_never_makes_a_unit_negative(app):
    event = _event()
    cheap = make_product(event, price=20000)
    dear = make_product(event, price=150000)
    make_coupon(event, code="FIFTY", kind="fixed", value=50000)
    quote = pricing.quote(event, {cheap: 1, dear: 1}, "FIFTY")
    assert quote.discount == 20000 + 50000
    assert quote.total == 100000


def test_coupon_for_chosen_products_only(app):
    event = _event()
    ticket = make_product(event, price=100000)
    workshop = make_product(event, price=200000)
    make_coupon(event, code="WS", kind="percent", value=50, product_ids=[workshop.id])
    assert pricing.quote(event, {ticket: 1, workshop: 1}, "ws").discount == 100000
    assert pricing.quote(event, {ticket: 1}, "ws").coupon_error


def test_per_order_and_usage_limits_cap_the_discounted_units(app):
    event = _event()
    ticket = make_product(event, price=100000)
    make_coupon(event, code="TWO", kind="fixed", value=10000, per_order_limit=2)
    assert pricing.quote(event, {ticket: 5}, "TWO").discount == 20000
    make_coupon(event, code="LAST", kind="fixed", value=10000, usage_limit=10, times_used=9)
    assert pricing.quote(event, {ticket: 5}, "LAST").discount == 10000
    make_coupon(event, code="GONE", kind="fixed", value=10000, usage_limit=10, times_used=10)
    assert pricing.quote(event, {ticket: 1}, "GONE").coupon_error == "This code has been used up."


def test_validity_window_and_active_flag(app):
    event = _event()
    ticket = make_product(event, price=100000)
    now = utcnow()
    make_coupon(event, code="SOON", valid_from=now + dt.timedelta(days=1))
    make_coupon(event, code="PAST", valid_until=now - dt.timedelta(minutes=1))
    make_coupon(event, code="OFF", active=False)
    assert pricing.quote(event, {ticket: 1}, "soon").coupon_error == "This code is not valid yet."
    assert pricing.quote(event, {ticket: 1}, "past").coupon_error == "This code has expired."
    assert pricing.quote(event, {ticket: 1}, "off").coupon_error
    assert pricing.quote(event, {ticket: 1}, "soon").total == 100000


def test_hundred_percent_makes_the_order_free_not_negative(app):
    event = _event()
    ticket = make_product(event, price=75000)
    make_coupon(event, code="COMP", kind="percent", value=100)
    make_coupon(event, code="HUGE", kind="fixed", value=10_000_000)
    assert pricing.quote(event, {ticket: 2}, "comp").total == 0
    assert pricing.quote(event, {ticket: 2}, "huge").total == 0
