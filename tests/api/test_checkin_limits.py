"""The check-in endpoints enforce exactly the limits the OpenAPI document shows: one character over a
documented maxLength is a 422 naming the field, and a value at the limit is kept whole."""

from __future__ import annotations

import pytest

from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_registrant
from webapp.checkin.models import Checkin


def _ref(doc: dict, schema: dict) -> dict:
    if "$ref" in schema:
        return doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def documented_limits(doc: dict, tag: str) -> list[tuple[str, str, str, str, int]]:
    """(method, path, where, field, maxLength) of every length-limited input of the tag's operations."""
    limits = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if tag not in op.get("tags", []):
                continue
            for param in op["parameters"]:
                if param["in"] == "query" and "maxLength" in param["schema"]:
                    limits.append((method, path, "query", param["name"], param["schema"]["maxLength"]))
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body:
                for name, prop in _ref(doc, body)["properties"].items():
                    if "maxLength" in prop:
                        limits.append((method, path, "body", name, prop["maxLength"]))
    return limits


@pytest.fixture
def event(org):
    return make_event(org)


@pytest.fixture
def limits(client):
    return documented_limits(client.get("/api/v1/openapi.json").json, "Check-in")


def _text(field: str, length: int) -> str:
    """Free text, or digits where the field takes only digits (the page cursor)."""
    return ("7" if field == "cursor" else "x") * length


def _call(api, event, method, path, where, field, value):
    url = path.replace("{event_id}", str(event.id))
    if where == "query":
        return api.get(url, **{field: value})
    body = {"secret": make_registrant(event, make_product(event)).ticket_secret, field: value}
    return api.post(url, body)


def test_the_check_in_limits_are_the_columns_sizes(limits):
    scan = {field: size for _, path, where, field, size in limits if path.endswith("/checkins") and where == "body"}
    assert scan == {"secret": 500, "gate": 64, "nonce": 64, "force_reason": 300}
    assert ("get", "/api/v1/events/{event_id}/checkins", "query", "gate", 64) in limits


def test_one_character_over_a_documented_max_length_is_422_naming_the_field(api, event, limits):
    for method, path, where, field, size in limits:
        answer = _call(api, event, method, path, where, field, _text(field, size + 1))
        assert answer.status_code == 422, (method, path, field, answer.json)
        assert list(answer.json["error"]["fields"]) == [field], (method, path, answer.json)
    assert not Checkin.select().exists()  # refused requests are not scans


def test_a_value_at_a_documented_max_length_is_kept_whole(api, event, limits):
    for method, path, where, field, size in limits:
        value = _text(field, size)
        answer = _call(api, event, method, path, where, field, value)
        assert answer.status_code == 200, (method, path, field, answer.json)
        if where == "body" and field != "secret":
            logged = Checkin.get_by_id(answer.json["checkin"]["id"])
            assert getattr(logged, field) == value


def test_two_long_nonces_sharing_their_first_64_characters_are_refused_not_replayed(api, event):
    registrant = make_registrant(event, make_product(event))
    other = make_registrant(event, make_product(event))
    prefix = "n" * 64
    first = api.post(f"/events/{event.id}/checkins", {"secret": registrant.ticket_secret, "nonce": prefix + "A" * 16})
    second = api.post(f"/events/{event.id}/checkins", {"secret": other.ticket_secret, "nonce": prefix + "B" * 16})
    assert (first.status_code, second.status_code) == (422, 422)
    assert list(first.json["error"]["fields"]) == ["nonce"] == list(second.json["error"]["fields"])
    assert not Checkin.select().exists()
