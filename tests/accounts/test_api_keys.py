"""API keys: created once, stored hashed, revocable, last-used kept; key auth on the API."""

from __future__ import annotations

import hashlib
import re

import pytest
from flask import g, jsonify

from tests.factories.accounts import make_member, make_org
from webapp.accounts import api_keys
from webapp.accounts.models import ApiKey
from webapp.api.auth import api_auth


@pytest.fixture
def probe_app(app):
    """Two throwaway API routes guarded like the real ones."""

    @app.route("/api/v1/_probe", methods=["GET", "POST"])
    @api_auth(write=False)
    def probe_read():
        return jsonify(org=g.api_org_id)

    @app.route("/api/v1/_probe_write", methods=["POST"])
    @api_auth(write=True)
    def probe_write():
        return jsonify(org=g.api_org_id)

    return app


def test_key_is_shown_once_and_stored_as_a_hash(app, auth):
    org = make_org()
    admin = make_member(org, role="admin")
    client = auth.client_for(admin)
    response = client.post("/console/api-keys", data={"name": "CRM sync"})
    assert response.status_code == 200
    token = re.search(r'id="new-key">(rc_[^<]+)<', response.get_data(as_text=True)).group(1)
    key = ApiKey.get(ApiKey.organization == org)
    assert key.key_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in client.get("/console/api-keys").get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_api_key_authenticates_for_its_organization_and_records_use(probe_app):
    org = make_org()
    key, token = api_keys.create_key(org, "crm")
    client = probe_app.test_client()
    response = client.get("/api/v1/_probe", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.get_json() == {"org": org.id}
    assert ApiKey.get_by_id(key.id).last_used_at is not None


@pytest.mark.parametrize("header", [None, "Bearer rc_not-a-key", "Basic abc", "Bearer "])
def test_missing_or_unknown_key_is_401_json(probe_app, header):
    headers = {"Authorization": header} if header else {}
    response = probe_app.test_client().get("/api/v1/_probe", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_revoked_key_stops_working(probe_app):
    org = make_org()
    key, token = api_keys.create_key(org, "crm")
    api_keys.revoke_key(key)
    response = probe_app.test_client().get("/api/v1/_probe", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_read_only_key_cannot_write(probe_app):
    org = make_org()
    _, token = api_keys.create_key(org, "reporting", read_only=True)
    client = probe_app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/_probe", headers=headers).status_code == 200
    response = client.post("/api/v1/_probe_write", headers=headers)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"


def test_revoking_another_organizations_key_is_404(app, auth):
    org_a, org_b = make_org(), make_org()
    admin_a = make_member(org_a, role="admin")
    key_b, _ = api_keys.create_key(org_b, "theirs")
    response = auth.client_for(admin_a).post(f"/console/api-keys/{key_b.id}/revoke")
    assert response.status_code == 404
    assert ApiKey.get_by_id(key_b.id).revoked_at is None


def test_cli_creates_lists_and_revokes_keys(runner):
    org = make_org(slug="acme")
    result = runner.invoke(args=["apikeys", "create", "--org", "acme", "--name", "etl"])
    assert result.exit_code == 0, result.output
    token = result.output.splitlines()[0]
    assert token.startswith("rc_")
    key = ApiKey.get(ApiKey.organization == org)
    assert key.key_hash == hashlib.sha256(token.encode()).hexdigest()
    listing = runner.invoke(args=["apikeys", "list", "--org", "acme"]).output
    assert "etl" in listing and token not in listing
    assert runner.invoke(args=["apikeys", "revoke", "--org", "acme", str(key.id)]).exit_code == 0
    assert ApiKey.get_by_id(key.id).revoked_at is not None
    assert runner.invoke(args=["apikeys", "create", "--org", "nope", "--name", "x"]).exit_code != 0
