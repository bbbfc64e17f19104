"""Bodies and parameters no client should send get a JSON 4xx (400 for a body that is not JSON,
422 for a field), never a 500, and change nothing."""

from __future__ import annotations

import pytest

from tests.factories.catalog import make_product
from tests.factories.events import make_event
from webapp.checkin.models import Checkin
from webapp.events.models import Event
from webapp.orders.models import Registrant


def _post_raw(api, path: str, raw: str):
    headers = api.headers({"Content-Type": "application/json"})
    return api.client.post(f"/api/v1{path}", data=raw, headers=headers)


def _event_body(capacity: str) -> str:
    return (
        '{"name": "Gala", "starts_at": "2027-01-01T10:00:00Z", "ends_at": "2027-01-01T12:00:00Z", '
        f'"capacity": {capacity}}}'
    )


@pytest.mark.parametrize("capacity", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json_and_answer_400(api, capacity):
    response = _post_raw(api, "/events", _event_body(capacity))
    assert response.status_code == 400
    assert response.json["error"]["code"] == "malformed_json"
    assert Event.select().count() == 0


@pytest.mark.parametrize("capacity", ["1e400", "2.5", str(10**30)])
def test_a_number_no_integer_field_takes_answers_422_on_the_field(api, capacity):
    response = _post_raw(api, "/events", _event_body(capacity))
    assert response.status_code == 422
    assert "capacity" in response.json["error"]["fields"]
    assert Event.select().count() == 0


def test_a_lone_surrogate_in_a_string_answers_422_on_the_field(api):
    raw = '{"name": "Gala \\ud800", "starts_at": "2027-01-01T10:00:00Z", "ends_at": "2027-01-01T12:00:00Z"}'
    response = _post_raw(api, "/events", raw)
    assert response.status_code == 422
    assert "surrogate" in response.json["error"]["fields"]["name"]
    assert Event.select().count() == 0


@pytest.mark.parametrize("key", [None, "deep-nesting"])
def test_json_nested_100000_deep_answers_400(api, key):
    headers = api.headers({"Content-Type": "application/json", **({"Idempotency-Key": key} if key else {})})
    raw = '{"name": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = api.client.post("/api/v1/events", data=raw, headers=headers)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "malformed_json"


def test_json_a_little_too_deep_answers_400(api):
    raw = '{"name": ' + "[" * 40 + "]" * 40 + "}"
    response = _post_raw(api, "/events", raw)
    assert response.status_code == 400
    assert "nested" in response.json["error"]["message"]


@pytest.mark.parametrize("path", ["/events", "/contacts", "/events/{event}/registrants", "/events/{event}/checkins"])
def test_a_huge_list_cursor_answers_422(api, org, path):
    event = make_event(org)
    response = api.get(path.format(event=event.id), cursor=str(10**30))
    assert response.status_code == 422
    assert "cursor" in response.json["error"]["fields"]


def test_a_huge_check_in_list_id_answers_422(api, org):
    event = make_event(org)
    response = api.get(f"/events/{event.id}/checkins/stats", list=str(10**30))
    assert response.status_code == 422
    assert "list" in response.json["error"]["fields"]
    response = api.post(f"/events/{event.id}/checkins", {"secret": "x" * 22, "list": 10**30})
    assert response.status_code == 422
    assert "list" in response.json["error"]["fields"]
    assert Checkin.select().count() == 0


@pytest.mark.parametrize("secret", ["abc\u0000def", "abc\ud800"])
def test_a_scan_with_a_secret_no_ticket_can_have_answers_422_and_logs_nothing(api, org, secret):
    event = make_event(org)
    raw = '{"secret": "' + secret.encode("unicode_escape").decode().replace("\\x00", "\\u0000") + '"}'
    response = _post_raw(api, f"/events/{event.id}/checkins", raw)
    assert response.status_code == 422
    assert "secret" in response.json["error"]["fields"]
    assert Checkin.select().count() == 0


@pytest.mark.parametrize("name", ["Ana\r\nBcc: victim@example.org", "Ana\tPutri", "Ana\x1b"])
def test_a_registrant_name_with_a_control_character_answers_422(api, org, name):
    event = make_event(org)
    product = make_product(event)
    body = {"product_id": product.id, "people": [{"name": name, "email": "ana@example.org"}]}
    response = api.post(f"/events/{event.id}/registrants", body)
    assert response.status_code == 422
    assert "one line" in response.json["error"]["fields"]["people[0].name"]
    assert Registrant.select().count() == 0
