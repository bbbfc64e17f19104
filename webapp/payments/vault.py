"""Gateway keys at rest: Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from SECRET_KEY, and
the masked form the console shows instead ("SB-Mid-server-••••1a2b")."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re

from cryptography.fernet import Fernet, InvalidToken

from webapp.runtime import settings

MASK = "••••"
# A recognisable key prefix: "SB-Mid-server-", "Mid-server-", "sk_test_", "whsec_", "rk_live_".
_PREFIX = re.compile(r"^(?:[A-Za-z]{1,12}[-_]){1,3}")


class SecretUnreadable(RuntimeError):
    """The stored value was encrypted under another SECRET_KEY (or altered): enter it again."""


PAYMENTS = b"rollcall.payments.secrets.v1"


def _fernet(purpose: bytes) -> Fernet:
    # A key of its own for each purpose, so the session-signing key is never used as-is here.
    digest = hmac.new(settings().secret_key.encode(), purpose, hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(value: str, *, purpose: bytes = PAYMENTS) -> str:
    return _fernet(purpose).encrypt(value.encode()).decode()


def decrypt(token: str, *, purpose: bytes = PAYMENTS) -> str:
    try:
        return _fernet(purpose).decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        raise SecretUnreadable("stored secret cannot be decrypted with the current SECRET_KEY") from None


def encrypt_json(values: dict[str, str]) -> str:
    return encrypt(json.dumps(values, sort_keys=True)) if values else ""


def decrypt_json(token: str) -> dict[str, str]:
    return json.loads(decrypt(token)) if token else {}


def mask(value: str, keep: int = 4) -> str:
    """The key's prefix and its last `keep` characters; short values show nothing of themselves."""
    value = value.strip()
    if not value:
        return ""
    match = _PREFIX.match(value)
    prefix = match.group(0) if match and len(value) - match.end() >= 12 else ""
    rest = value[len(prefix) :]
    tail = rest[-keep:] if len(rest) >= 12 else ""
    return f"{prefix}{MASK}{tail}"
