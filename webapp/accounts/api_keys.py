"""API keys: shown once, stored as SHA-256 hashes, revocable, last-used time kept; what each
key may do (read-only or not, its scopes, its own rate limit) is set by `set_policy`."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from webapp.accounts import audit
from webapp.accounts.models import ApiKey, ApiKeyPolicy, Organization, User
from webapp.accounts.service import AccountError, hash_token
from webapp.db import db, locked, utcnow, write_transaction
from webapp.i18n import StoredText, _, stored_text, verbatim

KEY_PREFIX = "rc_"
SCOPES = (
    "events",
    "catalog",
    "orders",
    "registrants",
    "checkins",
    "contacts",
    "ingest",
    "segments",
    "campaigns",
    "team",
)  # what a key may reach
DEFAULT_PER_MINUTE = 1200  # requests a minute of a key that sets no limit of its own
PER_MINUTE_MIN = 1
PER_MINUTE_MAX = 100_000  # ~1,700 requests a second: beyond what one installation serves


def create_key(
    org: Organization, name: str, *, read_only: bool = False, actor: User | None = None, actor_label: str | None = None
) -> tuple[ApiKey, str]:
    """A new key; returns (row, the key itself) — the key is never retrievable again."""
    name = name.strip()
    if not name:
        raise AccountError(_("Give the key a name, e.g. the system that will use it."), "name")
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
            summary=stored_text("created read-only API key “%(name)s”", name=name)
            if read_only
            else stored_text("created API key “%(name)s”", name=name),
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
                summary=stored_text("revoked API key “%(key)s”", key=key.name),
            )


def keys_of(org_id: int) -> list[ApiKey]:
    return list(ApiKey.for_org(org_id).order_by(ApiKey.revoked_at.is_null().desc(), ApiKey.created_at.desc()))


def policy_of(key: ApiKey) -> ApiKeyPolicy | None:
    return ApiKeyPolicy.get_or_none(ApiKeyPolicy.api_key == key.id)


def policies_of(keys: Iterable[ApiKey]) -> dict[int, ApiKeyPolicy]:
    """{key id: its policy} for the keys that have one (one query)."""
    ids = [key.id for key in keys]
    if not ids:
        return {}
    return {p.api_key_id: p for p in ApiKeyPolicy.select().where(ApiKeyPolicy.api_key.in_(ids))}


def set_policy(
    key: ApiKey,
    *,
    scopes: Iterable[str],
    requests_per_minute: int | None,
    read_only: bool | None = None,
    actor: User | None = None,
    actor_label: str | None = None,
) -> ApiKeyPolicy:
    """Limit what a key may do: the parts of the API it may use (none listed: all of them), its
    requests a minute (None: the default) and, unless `read_only` is None, whether it may write.
    Takes effect on the key's next call; the change is recorded in the audit trail."""
    wanted = set(scopes)
    unknown = sorted(wanted - set(SCOPES))
    if unknown:
        raise AccountError(
            _(
                "Unknown scope: %(unknown)s. Choose among %(scopes)s.",
                unknown=", ".join(unknown),
                scopes=", ".join(SCOPES),
            ),
            "scopes",
        )
    if requests_per_minute is not None and not PER_MINUTE_MIN <= requests_per_minute <= PER_MINUTE_MAX:
        raise AccountError(
            _(
                "Between %(min)s and %(max)s requests a minute, or leave it blank for the default (%(default)s).",
                min=PER_MINUTE_MIN,
                max=f"{PER_MINUTE_MAX:,}",
                default=f"{DEFAULT_PER_MINUTE:,}",
            ),
            "requests_per_minute",
        )
    with write_transaction():
        # The key's row serializes two people saving the same key's policy at once.
        key = locked(ApiKey.select().where(ApiKey.id == key.id)).get()
        if key.revoked_at is not None:
            raise AccountError(_("This key is revoked; create a new one instead."))
        policy = policy_of(key) or ApiKeyPolicy(api_key=key, scopes=[], requests_per_minute=None)
        changes = audit.diff(
            policy, {"scopes": [s for s in SCOPES if s in wanted], "requests_per_minute": requests_per_minute}
        )
        if read_only is not None:
            changes.update(audit.diff(key, {"read_only": bool(read_only)}))
        if not changes:
            return policy
        policy.updated_at = utcnow()
        policy.save()
        if "read_only" in changes:
            key.save(only=[ApiKey.read_only])
        audit.record(
            key.organization_id,
            "api_key.policy",
            user=actor,
            actor=actor_label,
            target=key,
            summary=stored_text("API key “%(key)s”: %(policy)s", key=key.name, policy=describe_policy(key, policy)),
            changes=changes,
        )
    return policy


def describe_policy(key: ApiKey, policy: ApiKeyPolicy | None) -> StoredText:
    """What the key may do in one line (read and write; scopes: all; 1200 requests/minute ...);
    str() gives the English, `render_stored` the reader's language."""
    access = stored_text("read-only") if key.read_only else stored_text("read and write")
    scopes = verbatim(", ".join(policy.scopes)) if policy is not None and policy.scopes else stored_text("all")
    if policy is not None and policy.requests_per_minute:
        limit = stored_text("%(n)s requests/minute", n=policy.requests_per_minute)
    else:
        limit = stored_text("%(n)s requests/minute (default)", n=DEFAULT_PER_MINUTE)
    return stored_text("%(access)s; scopes: %(scopes)s; %(limit)s", access=access, scopes=scopes, limit=limit)
