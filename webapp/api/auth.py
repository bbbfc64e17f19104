"""API authentication: `Authorization: Bearer <api key>` (keys are per organization, stored as
SHA-256 hashes), or for endpoints the console pages also call, the signed-in user's session."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib

from flask import g, jsonify, request
from flask_login import current_user

from webapp.accounts.access import session_may
from webapp.accounts.models import ApiKey, ApiKeyPolicy
from webapp.api import idempotency, ratelimit
from webapp.db import utcnow
from webapp.extensions import csrf

# last_used_at is written at most this often per key, so reads stay reads.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def api_error(status: int, code: str, message: str, fields: dict | None = None):
    return jsonify({"error": {"code": code, "message": message, "fields": fields or {}}}), status


def key_from_request() -> ApiKey | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    digest = hashlib.sha256(token.strip().encode()).hexdigest()
    key = ApiKey.get_or_none((ApiKey.key_hash == digest) & (ApiKey.revoked_at.is_null()))
    if key is not None and (key.last_used_at is None or utcnow() - key.last_used_at > LAST_USED_RESOLUTION):
        ApiKey.update(last_used_at=utcnow()).where(ApiKey.id == key.id).execute()
    return key


def key_allows(policy, scope: str) -> bool:
    """A key without a policy, or with no scopes listed, may use every part of the API."""
    return policy is None or not policy.scopes or scope in policy.scopes


def api_auth(write: bool = False, session_role: str | None = None, scope: str | None = None):
    """Require an API key of an organization (a read-only key only for reads; a key limited to
    some scopes only for those), counted against the key's rate limit (429 with Retry-After).
    With `session_role`, a signed-in member with at least that role may call it too (with the
    CSRF token on writes). Sets g.api_org_id, g.api_key (None for a session) and g.api_actor."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if request.headers.get("Authorization"):
                key = key_from_request()
                if key is None:
                    return api_error(401, "unauthorized", "The API key is missing, unknown or revoked.")
                if write and key.read_only:
                    return api_error(403, "forbidden", "This API key is read-only.")

                policy = ApiKeyPolicy.get_or_none(ApiKeyPolicy.api_key == key.id)
                if scope and not key_allows(policy, scope):
                    return api_error(403, "forbidden", f"This API key has no access to {scope}.")
                verdict = ratelimit.hit(key.id, ratelimit.limit_for(policy))
                if not verdict.allowed:
                    response = api_error(
                        429, "rate_limited", f"More than {verdict.limit} requests a minute: slow down."
                    )
                    response[0].headers["Retry-After"] = str(verdict.retry_after)
                    return response
                g.api_key, g.api_org_id, g.api_actor = key, key.organization_id, f"api key {key.name!r}"
                return _call(view, args, kwargs)
            if session_role and current_user.is_authenticated and g.get("membership") is not None:
                if not session_may(session_role, kwargs.get("event_id")):
                    return api_error(403, "forbidden", "Your role does not allow this.")
                if write:
                    csrf.protect()
                g.api_key, g.api_org_id, g.api_actor = None, g.org.id, current_user.email
                return _call(view, args, kwargs)
            response = api_error(401, "unauthorized", "Send an API key: Authorization: Bearer <key>.")
            response[0].headers["WWW-Authenticate"] = 'Bearer realm="rollcall"'
            return response

        wrapper.access = ("api", session_role)
        # Key-authenticated calls carry no cookie, so CSRF does not apply to them; session calls
        # are checked above.
        return csrf.exempt(wrapper)

    return decorator


def _call(view, args, kwargs):
    """Run the view; a POST with an Idempotency-Key runs once per key (webapp.api.idempotency)."""
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or key is None:
        return view(*args, **kwargs)

    if not idempotency.KEY_SHAPE.fullmatch(key):
        message = "1 to 255 visible ASCII characters (no spaces)."
        return api_error(422, "invalid", f"Idempotency-Key must be {message}", {"Idempotency-Key": message})
    try:
        return idempotency.call(g.api_org_id, key, view, args, kwargs)
    except idempotency.Conflict as exc:
        return api_error(409, "idempotency_conflict", exc.message)
