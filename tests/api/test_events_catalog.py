"""Events, products and coupons over the API (EVENTS' and CATALOG's rules apply)."""

from __future__ import annotations

from tests.factories.api import ApiClient, make_api_key
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from webapp.accounts.audit import AuditEntry
from webapp.events.models import Event

NEW_EVENT = {
    "name": "Jakarta Summit",
    "timezone": "Asia/Jakarta",
    "starts_at": "2030-05-01T02:00:00Z",
    "ends_at": "2030-05-01T10:00:00Z",
    "venue_name": "JCC",
    "capacity": 300,
}


def test_an_event_is_created_as_a_draft_in_utc(api, org):
    response = api.post("/events", NEW_EVENT)
    assert response.status_code == 201, response.json
    event = response.json
    assert event["status"] == "draft"
    assert event["starts_at"] == "2030-05-01T02:00:00Z"
    assert event["slug"] == "jakarta-summit"
    assert event["capacity"] == 300
    assert Event.get_by_id(event["id"]).organization_id == org.id
    assert AuditEntry.select().where(AuditEntry.action == "event.create").exists()


def test_set_up_through_the_api_is_audited_as_the_api_key_not_as_system(app, client, org):
    key, token = make_api_key(org)
    api = ApiClient(client, token)
    event_id = api.post("/events", NEW_EVENT).json["id"]
    api.patch(f"/events/{event_id}", {"venue_name": "New hall", "capacity": 200})
    product_id = api.post(f"/events/{event_id}/products", {"name": "Regular", "price": 150000}).json["id"]
    api.patch(f"/products/{product_id}", {"price": 175000})
    coupon_id = api.post(f"/events/{event_id}/coupons", {"code": "EARLY", "kind": "percent", "value": 10}).json["id"]
    api.patch(f"/coupons/{coupon_id}", {"value": 20})
    assert api.post(f"/events/{event_id}/publish", {}).status_code == 200

    trail = {e.action: e.actor for e in AuditEntry.select().where(AuditEntry.organization == org.id)}
    expected = ["event.create", "event.update", "event.registration", "event.publish"]
    expected += ["product.create", "product.update", "coupon.create", "coupon.update"]
    assert set(trail) >= set(expected), trail
    assert {trail[action] for action in expected} == {f"api key {key.name!r}"}


def test_bad_event_fields_are_named(api):
    body = {**NEW_EVENT, "ends_at": "2030-05-01T01:00:00Z"}
    assert api.post("/events", body).json["error"]["fields"] == {"ends_at": "The end must be after the start."}
    response = api.post("/events", {**NEW_EVENT, "timezone": "Mars/Olympus"})
    assert set(response.json["error"]["fields"]) == {"timezone"}
    response = api.post("/events", {"name": ""})
    assert set(response.json["error"]["fields"]) >= {"name", "starts_at", "ends_at"}


def test_an_event_is_updated_field_by_field(api, org):
    event = make_event(org, status="draft")
    response = api.patch(f"/events/{event.id}", {"venue_name": "New hall", "max_tickets_per_order": 4})
    assert response.status_code == 200, response.json
    assert response.json["venue_name"] == "New hall"
    assert response.json["max_tickets_per_order"] == 4
    assert response.json["name"] == event.name


def test_the_registrations_per_email_limit_is_set_kept_and_cleared(api, org):
    event = make_event(org, status="draft")
    assert api.get(f"/events/{event.id}").json["max_registrations_per_email"] is None
    response = api.patch(f"/events/{event.id}", {"max_registrations_per_email": 0})
    assert response.status_code == 422 and "max_registrations_per_email" in response.json["error"]["fields"]
    assert api.patch(f"/events/{event.id}", {"max_registrations_per_email": 1}).json["max_registrations_per_email"] == 1
    # other registration settings leave it as it is
    assert api.patch(f"/events/{event.id}", {"capacity": 50}).json["max_registrations_per_email"] == 1
    assert (
        api.patch(f"/events/{event.id}", {"max_registrations_per_email": None}).json["max_registrations_per_email"]
        is None
    )


def test_publishing_needs_a_ticket_type(api, org):
    event_id = api.post("/events", NEW_EVENT).json["id"]
    response = api.post(f"/events/{event_id}/publish")
    assert response.status_code == 409
    assert "ticket" in response.json["error"]["message"]
    assert api.post(f"/events/{event_id}/products", {"name": "Regular", "price": 150000}).status_code == 201
    assert api.post(f"/events/{event_id}/publish").json["status"] == "published"
    assert api.post(f"/events/{event_id}/close").json["status"] == "closed"


def test_events_are_listed_with_filters(api, org):
    make_event(org, status="draft")
    published = make_event(org)
    listed = api.get("/events", status="published").json["data"]
    assert [e["id"] for e in listed] == [published.id]


def test_products_are_created_listed_and_updated(api, org):
    event = make_event(org, status="draft")
    created = api.post(f"/events/{event.id}/products", {"name": "Early bird", "price": 100000, "quota": 50})
    assert created.status_code == 201, created.json
    product = created.json
    assert (product["currency"], product["available"]) == (event.currency, 50)
    updated = api.patch(f"/products/{product['id']}", {"price": 120000}).json
    assert (updated["price"], updated["quota"], updated["name"]) == (120000, 50, "Early bird")
    assert [p["id"] for p in api.get(f"/events/{event.id}/products").json["data"]] == [product["id"]]
    bad = api.patch(f"/products/{product['id']}", {"max_per_order": 2, "min_per_order": 5})
    assert set(bad.json["error"]["fields"]) == {"max_per_order"}


def test_coupons_are_created_listed_and_updated(api, org):
    event = make_event(org)
    product = make_product(event, price=100000)
    created = api.post(
        f"/events/{event.id}/coupons", {"code": "early", "kind": "percent", "value": 20, "product_ids": [product.id]}
    )
    assert created.status_code == 201, created.json
    assert created.json["code"] == "EARLY"
    duplicate = api.post(f"/events/{event.id}/coupons", {"code": "EARLY", "kind": "fixed", "value": 5})
    assert set(duplicate.json["error"]["fields"]) == {"code"}
    updated = api.patch(f"/coupons/{created.json['id']}", {"active": False}).json
    assert (updated["active"], updated["value"]) == (False, 20)
    assert api.get(f"/events/{event.id}/coupons", code="early").json["data"][0]["id"] == created.json["id"]
    percent = api.post(f"/events/{event.id}/coupons", {"code": "HALF", "kind": "percent", "value": 150})
    assert set(percent.json["error"]["fields"]) == {"value"}


def test_products_of_another_organization_are_not_found(api, other_api, org):
    product = make_product(make_event(org))
    assert other_api.get(f"/products/{product.id}").status_code == 404
    assert other_api.patch(f"/products/{product.id}", {"price": 1}).status_code == 404
