import datetime as dt

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
