"""Signed URL tokens (itsdangerous's URLSafeSerializer) made once per salt and secret.

A campaign message carries several signed tokens (unsubscribe, open image, one per tracked link)
and the click redirect checks one per request. itsdangerous builds a new signer and derives its
key (a SHA-1 over salt and secret) on every dumps and loads; here the serializer, its signer and the
derived key are kept, so a token costs one HMAC, computed in one call to OpenSSL (itsdangerous's
HMAC goes through hmac.new with a Python digest constructor, several times slower); and a payload
too short for zlib ever to shorten it is not compressed to find that out. The tokens are byte for
byte those of a plain URLSafeSerializer with the same secret and salt: links already sent keep
working.
"""

from __future__ import annotations

import functools
import hmac

from itsdangerous import Signer, URLSafeSerializer
from itsdangerous.encoding import base64_encode, want_bytes

# zlib's shortest output (an empty input) is 8 bytes; itsdangerous keeps the compressed form only
# when it is shorter than the JSON by 2 or more, so JSON of 9 bytes or fewer is never compressed.
_NEVER_COMPRESSED = 9


class _KeptKeySigner(Signer):
    """A Signer whose derived key is computed once."""

    @functools.cached_property
    def _key(self) -> bytes:
        return super().derive_key()

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        return self._key if secret_key is None else super().derive_key(secret_key)

    def get_signature(self, value: str | bytes) -> bytes:
        # HMAC-SHA1, the default algorithm (serializer() never chooses another)
        return base64_encode(hmac.digest(self._key, want_bytes(value), "sha1"))


class _KeptSerializer(URLSafeSerializer):
    default_signer = _KeptKeySigner

    @functools.cached_property
    def _signer(self) -> Signer:
        return super().make_signer(None)

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        return self._signer if salt is None or salt == self.salt else super().make_signer(salt)

    def dump_payload(self, obj: object) -> bytes:
        if type(obj) is int:  # not a bool or an IntEnum, which JSON writes otherwise than str()
            json = str(obj).encode()  # what the compact JSON serializer writes for an int
            if len(json) <= _NEVER_COMPRESSED:
                return base64_encode(json)
        return super().dump_payload(obj)


@functools.lru_cache(maxsize=64)
def serializer(secret_key: str, salt: str) -> URLSafeSerializer:
    """The URL-safe serializer for `salt` (what `URLSafeSerializer(secret_key, salt=salt)` gives)."""
    return _KeptSerializer(secret_key, salt=salt)
