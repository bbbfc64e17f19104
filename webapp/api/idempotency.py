"""Idempotency-Key on POST: the first request with a key runs and its answer is stored (per
organization and key, for a day); the same key with the same body replays that answer; the same
key with another body, or while the first is still running, answers 409.

The key is reserved before the handler runs and the answer written after it, outside the handler's
own transactions (a payment link may be fetched in between). A worker killed in that gap leaves
the key reserved until it expires; the client then sees 409 and must use a new key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass

import peewee as pw
from flask import current_app, request

from webapp.api.models import IdempotencyRecord
from webapp.db import db, utcnow

LIFETIME = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 255
KEY_SHAPE = re.compile(r"[!-~]{1,255}")


@dataclass(frozen=True)
class Stored:
    status: int
    body: str


class Conflict(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def request_hash(method: str, path: str, raw: bytes) -> str:
    """Same JSON (whatever its spacing or key order) → same hash; anything else by its bytes."""
    try:
        canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):  # not JSON (or nested too deep to read): its bytes
        canonical = raw
    return hashlib.sha256(f"{method} {path}\n".encode() + canonical).hexdigest()


def call(org_id: int, key: str, view, args, kwargs):
    """Run the view once for this key (see the module docstring); returns a Response."""

    digest = request_hash(request.method, request.path, request.get_data(cache=True))
    stored = begin(org_id, key, request.method, request.path, digest)
    if stored is not None:
        response = current_app.response_class(stored.body, status=stored.status, mimetype="application/json")
        response.headers["Idempotent-Replayed"] = "true"
        return response
    try:
        response = current_app.make_response(view(*args, **kwargs))
    except BaseException:
        abandon(org_id, key)
        raise
    if response.status_code >= 500 or response.status_code == 429:
        abandon(org_id, key)
    else:
        finish(org_id, key, response.status_code, response.get_data(as_text=True))
    return response


def begin(org_id: int, key: str, method: str, path: str, digest: str) -> Stored | None:
    """Reserve the key for this request (None: go ahead), or the stored answer to replay.
    Raises Conflict for another body or a request still running with this key."""
    now = utcnow()
    for _ in range(2):
        record = IdempotencyRecord.get_or_none(
            (IdempotencyRecord.organization == org_id) & (IdempotencyRecord.key == key)
        )
        if record is not None and record.expires_at <= now:
            IdempotencyRecord.delete().where(IdempotencyRecord.id == record.id).execute()
            record = None
        if record is not None:
            if record.request_hash != digest:
                raise Conflict("This Idempotency-Key was used with another request.")
            if record.status_code is None:
                raise Conflict("A request with this Idempotency-Key is still being processed.")
            return Stored(record.status_code, record.response_body or "")
        try:
            with db.atomic():
                IdempotencyRecord.create(
                    organization=org_id,
                    key=key,
                    method=method,
                    path=path[:500],
                    request_hash=digest,
                    expires_at=now + LIFETIME,
                )
            return None
        except pw.IntegrityError:
            continue  # another request reserved it a moment ago: read it again
    raise Conflict("A request with this Idempotency-Key is still being processed.")


def finish(org_id: int, key: str, status: int, body: str) -> None:
    IdempotencyRecord.update(status_code=status, response_body=body).where(
        (IdempotencyRecord.organization == org_id) & (IdempotencyRecord.key == key)
    ).execute()


def abandon(org_id: int, key: str) -> None:
    """The request failed without an answer worth keeping: the key may be used again."""
    IdempotencyRecord.delete().where(
        (IdempotencyRecord.organization == org_id)
        & (IdempotencyRecord.key == key)
        & (IdempotencyRecord.status_code.is_null())
    ).execute()


def prune() -> int:
    return IdempotencyRecord.delete().where(IdempotencyRecord.expires_at <= utcnow()).execute()
