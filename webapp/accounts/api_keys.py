"""API keys: shown once, stored as SHA-256 hashes, revocable, last-used time kept."""

from __future__ import annotations

import secrets

from webapp.accounts import audit
from webapp.accounts.models import ApiKey, Organization, User
from webapp.accounts.service import AccountError, hash_token
from webapp.db import db, utcnow

KEY_PREFIX = "rc_"


def create_key(
    org: Organization, name: str, *, read_only: bool = False, actor: User | None = None, actor_label: str | None = None
) -> tuple[ApiKey, str]:
    """A new key; returns (row, the key itself) — the key is never retrievable again."""
    name = name.strip()
    if not name:
        raise AccountError("Give the key a name, e.g. the system that will use it.", "name")
    token = KEY_PREFIX + secrets.token_urlsafe(32)
    with db.atomic():
        key = ApiKey.create(
            organization=org,
            name=name[:100],
            prefix=token[:10],
            key_hash=hash_token(token),
            read_only=read_only,
            created_by=actor,
        )
        audit.record(
            org.id,
            "api_key.create",
            user=actor,
            actor=actor_label,
            target=key,
            summary=f"created {'read-only ' if read_only else ''}API key {name!r}",
        )
    return key, token


def revoke_key(key: ApiKey, *, actor: User | None = None, actor_label: str | None = None) -> None:
    with db.atomic():
        if key.revoked_at is None:
            key.revoked_at = utcnow()
            key.save()
            audit.record(
                key.organization_id,
                "api_key.revoke",
                user=actor,
                actor=actor_label,
                target=key,
                summary=f"revoked API key {key.name!r}",
            )


def keys_of(org_id: int) -> list[ApiKey]:
    return list(ApiKey.for_org(org_id).order_by(ApiKey.revoked_at.is_null().desc(), ApiKey.created_at.desc()))
