"""Gateway keys at rest (sealed by webapp/sealed.py under a purpose of their own), and the masked
form the console shows instead ("SB-Mid-server-••••1a2b")."""

from __future__ import annotations

import json
import re

from webapp.sealed import SecretUnreadable, seal, unseal

MASK = "••••"
# A recognisable key prefix: "SB-Mid-server-", "Mid-server-", "sk_test_", "whsec_", "rk_live_".
_PREFIX = re.compile(r"^(?:[A-Za-z]{1,12}[-_]){1,3}")

PAYMENTS = b"rollcall.payments.secrets.v1"


__all__ = ["SecretUnreadable", "decrypt", "decrypt_json", "encrypt", "encrypt_json", "mask"]


def encrypt(value: str, *, purpose: bytes = PAYMENTS) -> str:
    return seal(value, purpose=purpose)


def decrypt(token: str, *, purpose: bytes = PAYMENTS) -> str:
    return unseal(token, purpose=purpose)


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
