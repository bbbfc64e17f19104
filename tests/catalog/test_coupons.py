from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_coupon, make_product
from tests.factories.events import make_event
from tests.factories.payments import configure_gateway
from tests.orders.helpers import form, register_url
from webapp.catalog.coupons import find_coupon, update_coupon
from webapp.catalog.models import Coupon


def _setup(auth):
    org = make_org()
    event = make_event(org, currency="IDR")
    client = auth.client_for(make_member(org, "manager"), org)
    return org, event, client


def test_code_is_stored_upper_case_and_found_in_any_case(app, auth):
    org, event, client = _setup(auth)
    ticket = make_product(event)
    response = client.post(
        f"/console/events/{event.id}/coupons/new",
        data={
            "code": " early-bird ",
            "kind": "fixed",
            "value": "25.000",
            "product_ids": [str(ticket.id)],
            "active": "y",
        },
    )
    assert response.status_code == 303
    coupon = Coupon.get(Coupon.event == event.id)
    assert (coupon.code, coupon.kind, coupon.value, coupon.product_ids) == ("EARLY-BIRD", "fixed", 25000, [ticket.id])
    assert find_coupon(event, "Early-Bird").id == coupon.id
    assert find_coupon(make_event(org), "EARLY-BIRD") is None


def test_percent_must_be_between_1_and_100(app, auth):
    org, event, client = _setup(auth)
    response = client.post(
        f"/console/events/{event.id}/coupons/new", data={"code": "HALF", "kind": "percent", "value": "150"}
    )
    assert response.status_code == 422
    assert 'id="value-error"' in response.get_data(as_text=True)
    assert Coupon.select().count() == 0


def test_coupon_limits_beyond_what_the_database_holds_are_refused_beside_the_field(app, auth):
    org, event, client = _setup(auth)
    coupon = make_coupon(event, code="EARLY", value=10)
    fields = {"code": "EARLY", "kind": "percent", "value": "10", "active": "y"}
    for field, message in (("usage_limit", "from 1 to 10000000"), ("per_order_limit", "from 1 to 1000")):
        for url in (f"/console/events/{event.id}/coupons/new", f"/console/events/{event.id}/coupons/{coupon.id}"):
            response = client.post(url, data=dict(fields, **{field: str(10**23)}))
            assert response.status_code == 422
            body = response.get_data(as_text=True)
            assert f'id="{field}-error"' in body and message in body
    coupon = Coupon.get()
    assert (coupon.usage_limit, coupon.per_order_limit) == (None, None)


def test_duplicate_code_in_other_case_is_refused(app, auth):
    org, event, client = _setup(auth)
    make_coupon(event, code="VIP")
    response = client.post(
        f"/console/events/{event.id}/coupons/new", data={"code": "vip", "kind": "percent", "value": "10"}
    )
    assert response.status_code == 422
    assert "already has a coupon with this code" in response.get_data(as_text=True)


def test_coupon_of_another_event_product_is_refused(app, auth):
    org, event, client = _setup(auth)
    other = make_product(make_event(org))
    response = client.post(
        f"/console/events/{event.id}/coupons/new",
        data={"code": "X10", "kind": "percent", "value": "10", "product_ids": [str(other.id)]},
    )
    assert response.status_code == 422
    assert Coupon.select().count() == 0


def test_list_shows_usage_count(app, auth):
    org, event, client = _setup(auth)
    make_coupon(event, code="SPRING", times_used=7, usage_limit=50)
    body = client.get(f"/console/events/{event.id}/coupons").get_data(as_text=True)
    assert "SPRING" in body and "7 / 50" in body


def test_used_coupon_cannot_be_deleted_but_unused_can(app, auth):
    org, event, client = _setup(auth)
    used, unused = make_coupon(event, times_used=1), make_coupon(event)
    client.post(f"/console/events/{event.id}/coupons/{used.id}/delete")
    client.post(f"/console/events/{event.id}/coupons/{unused.id}/delete")
    assert [c.id for c in Coupon.select()] == [used.id]


def test_coupon_of_another_organization_is_not_found(app, auth):
    org, event, client = _setup(auth)
    theirs = make_coupon(make_event(make_org()))
    assert client.get(f"/console/events/{event.id}/coupons/{theirs.id}").status_code == 404


def test_an_edit_keeps_the_uses_made_while_the_form_was_open(app, client):
    """The organizer opened the coupon's form, two buyers used the coupon, then the form was
    saved: the coupon still counts both uses (its limit goes on counting from there)."""
    org = make_org()
    configure_gateway(org, "test")
    event = make_event(org, currency="IDR")
    ticket = make_product(event, price=100000, currency="IDR")
    coupon = make_coupon(event, code="EARLY", kind="percent", value=10, usage_limit=5)
    as_in_the_form = Coupon.get_by_id(coupon.id)
    for n in range(2):
        response = client.post(
            register_url(event), data=form({ticket: 1}, coupon="early", buyer_email=f"b{n}@example.org", gateway="test")
        )
        assert response.status_code == 303
    assert Coupon.get_by_id(coupon.id).times_used == 2

    update_coupon(as_in_the_form, {"code": "EARLY", "kind": "percent", "value": 20, "usage_limit": 5}, actor=None)
    saved = Coupon.get_by_id(coupon.id)
    assert (saved.value, saved.times_used) == (20, 2)
