import datetime as dt

import pytest

from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from webapp.accounts.audit import AuditEntry
from webapp.catalog.models import Product


def _setup(auth, **event_kw):
    org = make_org(timezone="Asia/Jakarta")
    event = make_event(org, timezone="Asia/Jakarta", currency="IDR", **event_kw)
    client = auth.client_for(make_member(org, "manager"), org)
    return org, event, client


PRODUCT = {
    "name": "Regular",
    "description": "Entry to all talks",
    "price": "150.000",
    "quota": "",
    "sale_starts_at": "2030-01-01T10:00",
    "sale_ends_at": "",
    "min_per_order": "0",
    "max_per_order": "5",
    "admits_entry": "y",
    "active": "y",
}


def test_price_in_major_units_is_stored_in_minor_units(app, auth):
    org, event, client = _setup(auth)
    response = client.post(f"/console/events/{event.id}/products/new", data=PRODUCT)
    assert response.status_code == 303
    product = Product.get(Product.event == event.id)
    assert (product.price, product.currency, product.quota) == (150000, "IDR", None)
    assert product.sale_starts_at == dt.datetime(2030, 1, 1, 3, 0)  # 10:00 in Jakarta
    assert product.access_key  # ready for a secret link
    assert AuditEntry.get(AuditEntry.action == "product.create").target_id == product.id


def test_usd_price_keeps_cents(app, auth):
    org, event, client = _setup(auth)
    event.currency = "USD"
    event.save()
    client.post(f"/console/events/{event.id}/products/new", data=dict(PRODUCT, price="12.50"))
    assert Product.get(Product.event == event.id).price == 1250


def test_bad_product_input_gets_field_errors_and_creates_nothing(app, auth):
    org, event, client = _setup(auth)
    response = client.post(
        f"/console/events/{event.id}/products/new",
        data=dict(PRODUCT, name="", price="twelve", quota="-3"),
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="name-error"' in body and 'id="price-error"' in body and 'id="quota-error"' in body
    response = client.post(
        f"/console/events/{event.id}/products/new", data=dict(PRODUCT, min_per_order="4", max_per_order="2")
    )
    assert response.status_code == 422
    assert "The maximum cannot be below the minimum." in response.get_data(as_text=True)
    assert Product.select().count() == 0


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("NaN", "Enter an amount such as 150000 or 12.50"),
        ("Infinity", "Enter an amount such as 150000 or 12.50"),
        ("-inf", "Enter an amount such as 150000 or 12.50"),
        ("99999999999999999999999", "The amount is too large: at most IDR1,000,000,000,000,000"),
        ("1e999999", "The amount is too large: at most IDR1,000,000,000,000,000"),
        ("1e-999999", "IDR amounts have at most 0 decimal places"),
    ],
)
def test_a_price_no_one_can_pay_is_refused_beside_the_field(app, auth, price, message):
    org, event, client = _setup(auth)
    response = client.post(f"/console/events/{event.id}/products/new", data=dict(PRODUCT, price=price))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="price-error"' in body and message in body
    product = make_product(event, name="Regular", price=150000)
    response = client.post(f"/console/events/{event.id}/products/{product.id}", data=dict(PRODUCT, price=price))
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert [p.price for p in Product.select()] == [150000]


def test_the_largest_price_is_kept_and_one_cent_more_is_refused(app, auth):
    org, event, client = _setup(auth)
    event.currency = "USD"
    event.save()
    client.post(f"/console/events/{event.id}/products/new", data=dict(PRODUCT, price="10,000,000,000,000.00"))
    assert Product.get(Product.event == event.id).price == 10**15
    response = client.post(
        f"/console/events/{event.id}/products/new", data=dict(PRODUCT, name="More", price="10000000000000.01")
    )
    assert response.status_code == 422 and "at most $10,000,000,000,000.00" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("quota", "Enter a number from 0 to 10000000."),
        ("min_per_order", "Enter a number from 0 to 1000."),
        ("max_per_order", "Enter a number from 1 to 1000."),
    ],
)
def test_a_limit_beyond_what_the_database_holds_is_refused_beside_the_field(app, auth, field, message):
    org, event, client = _setup(auth)
    product = make_product(event, name="Regular", price=150000, quota=100)
    for url in (f"/console/events/{event.id}/products/new", f"/console/events/{event.id}/products/{product.id}"):
        response = client.post(url, data=dict(PRODUCT, **{field: str(10**23)}))
        assert response.status_code == 422
        body = response.get_data(as_text=True)
        assert f'id="{field}-error"' in body and message in body
    assert [(p.name, p.quota, p.min_per_order) for p in Product.select()] == [("Regular", 100, 0)]


def test_list_shows_sold_pending_and_remaining(app, auth):
    org, event, client = _setup(auth)
    make_product(event, name="Early bird", quota=100, price=100000)
    body = client.get(f"/console/events/{event.id}/products").get_data(as_text=True)
    assert "Early bird" in body and "100" in body


def test_move_buttons_reorder_products_through_htmx(app, auth):
    org, event, client = _setup(auth)
    first, second, third = (make_product(event, name=n) for n in ("A", "B", "C"))
    response = client.post(
        f"/console/events/{event.id}/products/{third.id}/move", data={"direction": "up"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body  # the fragment only
    assert body.index(">C<") < body.index(">B<")
    order = [p.name for p in Product.select().where(Product.event == event.id).order_by(Product.position)]
    assert order == ["A", "C", "B"]
    client.post(f"/console/events/{event.id}/products/{first.id}/move", data={"direction": "up"})
    assert [p.name for p in Product.select().order_by(Product.position)] == ["A", "C", "B"]


def test_unsold_product_can_be_deleted(app, auth):
    org, event, client = _setup(auth)
    product = make_product(event)
    response = client.post(f"/console/events/{event.id}/products/{product.id}/delete")
    assert response.status_code == 303
    assert not Product.select().where(Product.id == product.id).exists()


def test_sold_product_cannot_be_deleted(app, auth):
    from webapp.orders.models import Order, OrderItem

    org, event, client = _setup(auth)
    product = make_product(event, price=1000)
    order = Order.create(
        organization=org.id,
        event=event,
        code="ABC123",
        secret="s" * 40,
        buyer_name="Ana",
        buyer_email="ana@example.org",
        currency="IDR",
        status="paid",
    )
    OrderItem.create(organization=org.id, order=order, product=product, price=1000)
    client.post(f"/console/events/{event.id}/products/{product.id}/delete")
    assert Product.select().where(Product.id == product.id).exists()
    body = client.get(f"/console/events/{event.id}/products").get_data(as_text=True)
    assert "deactivate it instead" in body


def test_products_of_another_organization_are_not_found(app, auth):
    org, event, client = _setup(auth)
    theirs = make_product(make_event(make_org()))
    assert client.get(f"/console/events/{event.id}/products/{theirs.id}").status_code == 404
    assert client.get(f"/console/events/{theirs.event_id}/products/{theirs.id}").status_code == 404
    assert client.post(f"/console/events/{event.id}/products/{theirs.id}/delete").status_code == 404


def test_door_staff_cannot_touch_products(app, auth):
    org = make_org()
    event = make_event(org)
    client = auth.client_for(make_member(org, "door"), org)
    assert client.get(f"/console/events/{event.id}/products").status_code == 403
    assert client.post(f"/console/events/{event.id}/products/new", data=PRODUCT).status_code == 403
    assert Product.select().count() == 0
