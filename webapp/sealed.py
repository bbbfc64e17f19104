"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from SECRET_KEY for one
purpose each, so the session-signing key is never used as-is and one purpose's token never opens
another's. Gateway keys (webapp/payments/vault.py) and the ticket signing keys of events
(webapp/orders/signed_secrets.py) are kept this way."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken

from webapp.runtime import settings


class SecretUnreadable(RuntimeError):
    """The stored value was encrypted under another SECRET_KEY (or altered): enter it again."""


def derived_key(purpose: bytes) -> bytes:
    """32 bytes of key for `purpose`, from SECRET_KEY."""
    return hmac.new(settings().secret_key.encode(), purpose, hashlib.sha256).digest()


def _fernet(purpose: bytes) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(derived_key(purpose)))


def seal(value: str, *, purpose: bytes) -> str:
    return _fernet(purpose).encrypt(value.encode()).decode()


def unseal(token: str, *, purpose: bytes) -> str:
    try:
        return _fernet(purpose).decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        raise SecretUnreadable("stored secret cannot be decrypted with the current SECRET_KEY") from None
