"""Orders and registrants over the API (ORDERS', PAYMENTS' and the console import's rules)."""

from __future__ import annotations

from tests.factories.catalog import make_product, make_question
from tests.factories.events import make_event
from tests.factories.orders import make_order, make_registrant
from tests.factories.payments import configure_gateway
from webapp.mail.models import Outbox
from webapp.orders.models import Order, Registrant


def test_a_free_order_is_paid_at_once(api, org):
    event = make_event(org)
    product = make_product(event)
    body = {
        "buyer": {"name": "Ana", "email": "ana@example.org"},
        "items": [{"product_id": product.id, "quantity": 2}],
        "attendees": [{"name": "Ana", "email": "ana@example.org"}, {"name": "Budi", "email": "budi@example.org"}],
    }
    response = api.post(f"/events/{event.id}/orders", body)
    assert response.status_code == 201, response.json
    order = response.json["order"]
    assert order["status"] == "paid"
    assert [r["name"] for r in order["registrants"]] == ["Ana", "Budi"]
    assert response.json["payment_url"] is None
    assert api.get(f"/orders/{order['id']}").json["code"] == order["code"]


def test_the_registrations_per_email_limit_answers_422_with_the_email_field(api, org):
    event = make_event(org, max_registrations_per_email=1)
    product = make_product(event)
    body = {"buyer": {"name": "Ana", "email": "ana@example.org"}, "items": [{"product_id": product.id, "quantity": 1}]}
    assert api.post(f"/events/{event.id}/orders", body).status_code == 201
    response = api.post(f"/events/{event.id}/orders", body)
    assert response.status_code == 422
    assert "already has 1 registration" in response.json["error"]["fields"]["buyer.email"]
    body = {
        "buyer": {"name": "Budi", "email": "budi@example.org"},
        "items": [{"product_id": product.id, "quantity": 1}],
        "attendees": [{"name": "Ana", "email": "ana@example.org"}],
    }
    response = api.post(f"/events/{event.id}/orders", body)
    assert response.status_code == 422 and set(response.json["error"]["fields"]) == {"attendees[0].email"}
    body["items"][0]["quantity"] = 2
    body["attendees"].append({"name": "Citra", "email": "citra@example.org"})
    response = api.post(f"/events/{event.id}/orders", body)
    assert response.status_code == 422 and "items" in response.json["error"]["fields"]
    assert Order.select().count() == 1
    # registrants added through the API are an operator's: not limited
    response = api.post(
        f"/events/{event.id}/registrants",
        {"product_id": product.id, "people": [{"name": "Ana", "email": "ana@example.org"}]},
    )
    assert response.status_code == 201, response.json


def test_a_paid_order_returns_the_payment_link(api, org):
    configure_gateway(org, "test")
    event = make_event(org)
    product = make_product(event, price=150000)
    body = {
        "buyer": {"name": "Ana", "email": "ana@example.org"},
        "items": [{"product_id": product.id, "quantity": 1}],
        "gateway": "test",
    }
    response = api.post(f"/events/{event.id}/orders", body)
    assert response.status_code == 201, response.json
    assert response.json["order"]["status"] == "pending"
    assert response.json["order"]["total"] == 150000
    assert response.json["payment_url"].startswith("http")


def test_the_checkout_rules_answer_with_field_errors(api, org):
    event = make_event(org)
    product = make_product(event, quota=1)
    question = make_question(event, label="Company", kind="text", required=True, per_attendee=False)
    body = {"buyer": {"name": "Ana", "email": "ana@example.org"}, "items": [{"product_id": product.id, "quantity": 2}]}
    fields = api.post(f"/events/{event.id}/orders", body).json["error"]["fields"]
    assert f"answers.{question.id}" in fields
    body["answers"] = {str(question.id): "ACME"}
    assert "attendees[1].name" in api.post(f"/events/{event.id}/orders", body).json["error"]["fields"]
    body["attendees"] = [{"name": "Ana"}, {"name": "Budi"}]
    response = api.post(f"/events/{event.id}/orders", body)
    assert response.status_code == 422 and "items" in response.json["error"]["fields"]
    other = make_product(make_event(org))
    body["items"] = [{"product_id": other.id, "quantity": 1}]
    assert "items[0].product_id" in api.post(f"/events/{event.id}/orders", body).json["error"]["fields"]


def test_an_order_is_canceled_once(api, org):
    order = make_order(make_event(org))
    response = api.post(f"/orders/{order.id}/cancel", {"reason": "Asked by phone"})
    assert response.status_code == 200 and response.json["status"] == "canceled"
    assert api.post(f"/orders/{order.id}/cancel").status_code == 409


def test_orders_of_another_organization_are_not_found(api, other_api, org):
    order = make_order(make_event(org))
    assert other_api.get(f"/orders/{order.id}").status_code == 404
    assert other_api.post(f"/orders/{order.id}/cancel").status_code == 404
    assert Order.get_by_id(order.id).status == "paid"


def test_registrants_added_with_send_ticket_get_their_ticket_email(api, org):
    event = make_event(org)
    product = make_product(event)
    response = api.post(
        f"/events/{event.id}/registrants",
        {"product_id": product.id, "send_ticket": True, "people": [{"name": "Dewi", "email": "dewi@example.org"}]},
    )
    assert response.status_code == 201, response.json
    assert response.json["registrants"][0]["email"] == "dewi@example.org"
    assert response.json["source"] == "api"
    assert Outbox.select().where((Outbox.to_email == "dewi@example.org") & (Outbox.kind == "ticket")).exists()


def test_registrants_added_without_send_ticket_get_no_ticket_email(api, org):
    event = make_event(org)
    product = make_product(event)
    people = [{"name": "Citra", "email": "citra@example.org"}]
    response = api.post(
        f"/events/{event.id}/registrants", {"product_id": product.id, "people": people, "send_ticket": False}
    )
    assert response.status_code == 201, response.json
    kinds = [m.kind for m in Outbox.select().where(Outbox.to_email == "citra@example.org")]
    assert "ticket" not in kinds, kinds


def test_adding_more_people_than_seats_is_a_conflict(api, org):
    event = make_event(org)
    product = make_product(event, quota=1)
    people = [{"name": "A", "email": "a@example.org"}, {"name": "B", "email": "b@example.org"}]
    response = api.post(f"/events/{event.id}/registrants", {"product_id": product.id, "people": people})
    assert response.status_code == 409
    assert not Registrant.select().exists()


def test_registrants_are_listed_with_the_checked_in_filter(api, org):
    event = make_event(org)
    inside = make_registrant(event, buyer_name="Inside")
    make_registrant(event, buyer_name="Outside")
    Registrant.update(checked_in_at=inside.created_at).where(Registrant.id == inside.id).execute()
    assert [r["name"] for r in api.get(f"/events/{event.id}/registrants", checked_in="true").json["data"]] == ["Inside"]
    assert [r["name"] for r in api.get(f"/events/{event.id}/registrants", checked_in="false").json["data"]] == [
        "Outside"
    ]
    assert len(api.get(f"/events/{event.id}/registrants", search="side").json["data"]) == 2


def test_a_registrant_is_updated_canceled_and_resent(api, org):
    registrant = make_registrant(make_event(org))
    updated = api.patch(f"/registrants/{registrant.id}", {"name": "Eka Putri"})
    assert updated.status_code == 200 and updated.json["name"] == "Eka Putri"
    assert updated.json["email"] == registrant.email
    bad = api.patch(f"/registrants/{registrant.id}", {"email": "nope"})
    assert set(bad.json["error"]["fields"]) == {"email"}
    resent = api.post(f"/registrants/{registrant.id}/resend-ticket")
    assert resent.status_code == 200, resent.json
    assert Outbox.select().where(Outbox.registrant_id == registrant.id).exists()
    assert api.post(f"/registrants/{registrant.id}/cancel").json["canceled"] is True
    assert api.post(f"/registrants/{registrant.id}/cancel").status_code == 409
    assert api.post(f"/registrants/{registrant.id}/resend-ticket").status_code == 409


def test_a_csv_import_runs_as_a_job(api, org):
    event = make_event(org)
    product = make_product(event)
    csv = "Full name,E-mail\nFajar,fajar@example.org\nGita,not-an-email\n"
    response = api.post(f"/events/{event.id}/registrants/imports", {"csv": csv, "product_id": product.id})
    assert response.status_code == 202, response.json
    job = api.get(f"/imports/{response.json['id']}").json
    assert job["state"] == "done"
    assert (job["created_rows"], job["failed_rows"]) == (1, 1)
    assert job["row_errors"][0]["errors"]
    assert Registrant.select().where(Registrant.email == "fajar@example.org").exists()


def test_an_import_needs_name_and_email_columns(api, org):
    event = make_event(org)
    product = make_product(event)
    response = api.post(f"/events/{event.id}/registrants/imports", {"csv": "a,b\n1,2\n", "product_id": product.id})
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"mapping.name", "mapping.email"}
