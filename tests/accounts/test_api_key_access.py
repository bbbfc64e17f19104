"""What an API key may do, set per key in the console: scopes, read-only, requests per minute."""

from __future__ import annotations

import re

import pytest

from tests.factories.accounts import PASSWORD, make_member, make_org, make_user
from tests.factories.api import ApiClient, make_api_key
from webapp.accounts import api_keys
from webapp.accounts.audit import AuditEntry
from webapp.accounts.models import ApiKey, ApiKeyPolicy


@pytest.fixture
def org(app):
    return make_org()


@pytest.fixture
def admin(app, auth, org):
    return auth.client_for(make_member(org, role="admin"), org)


def access_url(key) -> str:
    return f"/console/api-keys/{key.id}/access"


def policy(key) -> ApiKeyPolicy | None:
    return ApiKeyPolicy.get_or_none(ApiKeyPolicy.api_key == key.id)


def test_admin_limits_a_key_and_its_calls_follow(admin, client, org):
    key, token = make_api_key(org)
    form = admin.get(access_url(key))
    assert form.status_code == 200 and 'name="scopes" type="checkbox" value="ingest"' in form.text
    response = admin.post(access_url(key), data={"scopes": ["contacts"], "requests_per_minute": "2"})
    assert response.status_code == 303
    assert (policy(key).scopes, policy(key).requests_per_minute) == (["contacts"], 2)
    api = ApiClient(client, token)
    assert api.get("/events").status_code == 403  # not in its scopes
    assert api.get("/contacts").status_code == 200
    assert api.get("/contacts").status_code == 200
    assert api.get("/contacts").status_code == 429  # its own limit, not the default


def test_the_key_list_shows_each_keys_policy(admin, org):
    limited, _ = make_api_key(org, scopes=["ingest", "contacts"], per_minute=60)
    make_api_key(org)
    page = admin.get("/console/api-keys").text
    scopes = re.findall(r"<td class=\"small\" data-scopes>([^<]*)</td>", page)
    limits = re.findall(r"<td class=\"small\" data-rate-limit>([^<]*)</td>", page)
    assert sorted(scopes) == ["all", "ingest, contacts"]
    assert sorted(limits) == ["60/min", "default"]
    assert f'href="{access_url(limited)}"' in page


def test_read_only_is_set_and_lifted_in_the_console(admin, client, org):
    key, token = make_api_key(org)
    admin.post(access_url(key), data={"read_only": "y"})
    assert ApiKey.get_by_id(key.id).read_only
    api = ApiClient(client, token)
    assert api.post("/contacts", {"email": "new@example.org"}).status_code == 403
    admin.post(access_url(key), data={})
    assert not ApiKey.get_by_id(key.id).read_only
    assert api.post("/contacts", {"email": "new@example.org"}).status_code in (200, 201)


def test_no_scopes_and_a_blank_limit_mean_all_and_the_default(admin, org):
    key, _ = make_api_key(org, scopes=["ingest"], per_minute=60)
    response = admin.post(access_url(key), data={"requests_per_minute": ""})
    assert response.status_code == 303
    assert (policy(key).scopes, policy(key).requests_per_minute) == ([], None)
    assert "default" in admin.get("/console/api-keys").text


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "Between 1 and 100,000 requests a minute"),
        ("100001", "Between 1 and 100,000 requests a minute"),
        ("abc", "Type a whole number"),
        ("-5", "Type a whole number"),
        ("1.5", "Type a whole number"),
    ],
)
def test_a_limit_out_of_range_is_refused_beside_the_field(admin, org, value, message):
    key, _ = make_api_key(org, per_minute=60)
    response = admin.post(access_url(key), data={"scopes": ["contacts"], "requests_per_minute": value})
    assert response.status_code == 422
    error = re.search(r'<p class="error" id="requests_per_minute-error"[^>]*>([^<]*)</p>', response.text)
    assert error and message in error.group(1)
    assert (policy(key).scopes, policy(key).requests_per_minute) == ([], 60)  # nothing saved
    assert not AuditEntry.select().where(AuditEntry.action == "api_key.policy").exists()


def test_an_unknown_scope_is_refused(admin, org):
    key, _ = make_api_key(org)
    response = admin.post(access_url(key), data={"scopes": ["contacts", "payments"]})
    assert response.status_code == 422
    assert policy(key) is None


def test_htmx_gets_the_form_back_in_place(admin, org):
    key, _ = make_api_key(org)
    response = admin.post(access_url(key), data={"scopes": ["orders"]}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert f'id="key-access-{key.id}"' in response.text and "Saved" in response.text
    bad = admin.post(access_url(key), data={"requests_per_minute": "0"}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "<html" not in bad.text and "Between 1 and" in bad.text
    assert policy(key).scopes == ["orders"]


def test_the_change_is_in_the_audit_trail(admin, org):
    key, _ = make_api_key(org)
    admin.post(access_url(key), data={"scopes": ["ingest"], "requests_per_minute": "30", "read_only": "y"})
    entry = AuditEntry.get(AuditEntry.action == "api_key.policy")
    assert (entry.organization_id, entry.target_type, entry.target_id) == (org.id, "apikey", key.id)
    assert entry.changes == {"scopes": [[], ["ingest"]], "requests_per_minute": [None, 30], "read_only": [False, True]}
    assert "scopes: ingest" in entry.summary and entry.actor.endswith("@example.org")
    # Saving the same values again changes nothing and records nothing.
    admin.post(access_url(key), data={"scopes": ["ingest"], "requests_per_minute": "30", "read_only": "y"})
    assert AuditEntry.select().where(AuditEntry.action == "api_key.policy").count() == 1


def test_managers_cannot_change_a_key(app, auth, org):
    key, _ = make_api_key(org)
    manager = auth.client_for(make_member(org, role="manager"), org)
    assert manager.get(access_url(key)).status_code == 403
    assert manager.post(access_url(key), data={"requests_per_minute": "1"}).status_code == 403
    assert policy(key) is None


def test_a_key_of_another_organization_is_404(admin):
    theirs, _ = make_api_key(make_org(), per_minute=60)
    assert admin.get(access_url(theirs)).status_code == 404
    assert admin.post(access_url(theirs), data={"requests_per_minute": "1"}).status_code == 404
    assert policy(theirs).requests_per_minute == 60


def test_a_revoked_key_cannot_change(admin, org):
    key, _ = make_api_key(org)
    api_keys.revoke_key(key)
    response = admin.post(access_url(key), data={"requests_per_minute": "5"}, follow_redirects=True)
    assert "revoked" in response.text
    assert policy(key) is None


def test_the_form_needs_its_csrf_token(csrf_app, org):
    user = make_member(org, role="owner", user=make_user())
    key, _ = make_api_key(org)
    client = csrf_app.test_client()
    login_page = client.get("/login").text
    token = re.search(r'name="csrf-token" content="([^"]+)"', login_page).group(1)
    client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    forged = client.post(access_url(key), data={"requests_per_minute": "5"})
    assert forged.status_code == 400 and policy(key) is None
    page = client.get(access_url(key)).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    ok = client.post(access_url(key), data={"requests_per_minute": "5", "csrf_token": token})
    assert ok.status_code == 303 and policy(key).requests_per_minute == 5


def test_the_command_line_goes_through_the_same_rules(app, org):
    key, _ = make_api_key(org)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["api", "key-policy", key.prefix, "--per-minute", "0"])
    assert result.exit_code != 0 and "Between 1 and 100,000" in result.output
    result = runner.invoke(args=["api", "key-policy", key.prefix, "--scope", "ingest", "--read-only"])
    assert result.exit_code == 0, result.output
    assert "read-only; scopes: ingest" in result.output
    assert ApiKey.get_by_id(key.id).read_only and policy(key).scopes == ["ingest"]
    assert AuditEntry.get(AuditEntry.action == "api_key.policy").actor == "command line"
