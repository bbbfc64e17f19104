"""Cross-cutting API behaviour: keys, errors, unknown fields, idempotency, pagination, rate limit."""

from __future__ import annotations

from tests.factories.accounts import make_org
from tests.factories.api import ApiClient, make_api_key
from tests.factories.events import make_event
from webapp.accounts.api_keys import revoke_key
from webapp.contacts.models import Contact


def _error(response, status, code=None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.json["error"]
    assert set(body) == {"code", "message", "fields"}
    if code:
        assert body["code"] == code
    return body


def test_no_key_is_refused_with_a_json_error(client):
    response = client.get("/api/v1/events")
    _error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_or_revoked_key_is_refused(client, org):
    key, token = make_api_key(org)
    assert ApiClient(client, token).get("/events").status_code == 200
    revoke_key(key)
    _error(ApiClient(client, token).get("/events"), 401)
    _error(ApiClient(client, "rc_not-a-key").get("/events"), 401)


def test_a_read_only_key_reads_but_cannot_write(client, org):
    _, token = make_api_key(org, read_only=True)
    api = ApiClient(client, token)
    assert api.get("/contacts").status_code == 200
    _error(api.post("/contacts", {"email": "ana@example.org"}), 403, "forbidden")
    assert not Contact.select().exists()


def test_a_key_limited_to_scopes_cannot_use_others(client, org):
    _, token = make_api_key(org, scopes=["ingest"])
    api = ApiClient(client, token)
    assert api.post("/client/events", {"type": "signup", "email": "a@example.org"}).status_code == 202
    _error(api.get("/events"), 403)


def test_unknown_routes_and_methods_answer_json(api):
    _error(api.get("/nothing-here"), 404, "not_found")
    _error(api.client.put("/api/v1/events", headers=api.headers()), 405)


def test_malformed_json_is_a_400(api):
    response = api.client.post(
        "/api/v1/contacts", data="{not json", headers=api.headers({"Content-Type": "application/json"})
    )
    _error(response, 400, "malformed_json")


def test_a_body_that_is_not_json_is_a_415(api):
    response = api.client.post(
        "/api/v1/contacts",
        data="email=a@example.org",
        headers=api.headers({"Content-Type": "application/x-www-form-urlencoded"}),
    )
    _error(response, 415)


def test_a_too_large_body_is_a_413(api):
    big = {"type": "signup", "email": "a@example.org", "properties": {"x": "y" * (1024 * 1024)}}
    _error(api.post("/client/events", big), 413)


def test_unknown_fields_and_bad_values_are_named(api):
    body = _error(api.post("/contacts", {"email": "not-an-email", "favourite": "blue"}), 422, "invalid")
    assert set(body["fields"]) == {"email", "favourite"}
    assert body["fields"]["favourite"] == "Unknown field."
    body = _error(api.get("/contacts", colour="red"), 422)
    assert body["fields"] == {"colour": "Unknown query parameter."}


def test_another_organizations_id_is_not_found(api, client):
    other_event = make_event(make_org())
    _error(api.get(f"/events/{other_event.id}"), 404)
    _error(api.patch(f"/events/{other_event.id}", {"name": "Mine now"}), 404)
    assert api.get(f"/events/{2**40}").status_code == 404


def test_the_same_idempotency_key_and_body_replays_the_first_answer(api, org):
    first = api.post("/contacts", {"email": "ana@example.org", "name": "Ana"}, key="k-1")
    again = api.post("/contacts", {"name": "Ana", "email": "ana@example.org"}, key="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Contact.select().count() == 1


def test_the_same_idempotency_key_with_another_body_is_a_conflict(api):
    assert api.post("/contacts", {"email": "ana@example.org"}, key="k-2").status_code == 201
    _error(api.post("/contacts", {"email": "bob@example.org"}, key="k-2"), 409, "idempotency_conflict")
    assert not Contact.select().where(Contact.email == "bob@example.org").exists()


def test_idempotency_keys_are_per_organization(api, client):
    _, token = make_api_key(make_org())
    other = ApiClient(client, token)
    assert api.post("/contacts", {"email": "ana@example.org"}, key="shared").status_code == 201
    assert other.post("/contacts", {"email": "bob@example.org"}, key="shared").status_code == 201


def test_lists_are_paginated_by_cursor(api):
    for n in range(5):
        api.post("/contacts", {"email": f"p{n}@example.org"})
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("/contacts", **params).json
        seen += [c["email"] for c in page["data"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert sorted(seen) == [f"p{n}@example.org" for n in range(5)]
    _error(api.get("/contacts", limit=501), 422)


def test_a_cursor_as_long_as_documented_answers_a_page_not_500(api):
    api.post("/contacts", {"email": "p@example.org"})
    assert api.get("/contacts", cursor="9" * 18).json["data"][0]["email"] == "p@example.org"
    _error(api.get("/contacts", cursor="9" * 19), 422)


def test_too_many_requests_get_429_with_retry_after(client, org):
    _, token = make_api_key(org, per_minute=3)
    api = ApiClient(client, token)
    for _ in range(3):
        assert api.get("/contacts").status_code == 200
    response = api.get("/contacts")
    _error(response, 429, "rate_limited")
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_a_key_policy_is_set_from_the_command_line(app, org):
    from webapp.accounts.models import ApiKeyPolicy

    key, _ = make_api_key(org)
    result = app.test_cli_runner().invoke(
        args=["api", "key-policy", key.prefix, "--scope", "ingest", "--per-minute", "60"]
    )
    assert result.exit_code == 0, result.output
    policy = ApiKeyPolicy.get(ApiKeyPolicy.api_key == key.id)
    assert (policy.scopes, policy.requests_per_minute) == (["ingest"], 60)
