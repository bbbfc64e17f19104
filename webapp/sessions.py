"""The session cookie and the CSRF token, signed as Flask and Flask-WTF sign them, for less CPU:

- each signing serializer is made once per key instead of twice per request (reading the cookie
  and writing it): making one serializes a probe value through the app's JSON provider;
- a signer's derived key is computed once per (secret, salt), and each signature is one call into
  OpenSSL (`hmac.digest`) where `hmac.new` with a digest function runs the pure-Python HMAC;
- a short payload (a new visitor's session, a CSRF token) is not run through zlib: it would not
  come out shorter, and a compressor costs more than the rest of the signature.

The tokens and cookies are the same bytes as before (a long payload is still compressed when that
makes it shorter), and both libraries read them back as they always did."""

from __future__ import annotations

import hashlib
import hmac
import os

from flask import Flask, current_app, g, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.signer import HMACAlgorithm

CSRF_SALT = "wtf-csrf-token"  # as flask_wtf.csrf.generate_csrf signs it
CSRF_FIELD = "csrf_token"
SHORT_PAYLOAD = 96  # bytes of JSON below which zlib never makes a payload shorter by more than a few bytes


class _OneCallHMAC(HMACAlgorithm):
    """HMACAlgorithm's signature in one call into OpenSSL (same bytes)."""

    def __init__(self, digest_method) -> None:
        super().__init__(digest_method)
        self.digest_name = digest_method().name  # hashlib.sha1 and Flask's lazy sha1 alike

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return hmac.digest(key, value, self.digest_name)


class QuickSigner(TimestampSigner):
    """A TimestampSigner whose derived keys are remembered per (derivation, digest, salt, secret):
    itsdangerous makes a signer per signature and derives the key again each time."""

    _derived: dict[tuple, bytes] = {}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if type(self.algorithm) is HMACAlgorithm:
            self.algorithm = _OneCallHMAC(self.algorithm.digest_method)

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        secret = self.secret_keys[-1] if secret_key is None else secret_key
        secret = secret.encode() if isinstance(secret, str) else secret
        known = (self.key_derivation, self.digest_method, self.salt, secret)
        key = self._derived.get(known)
        if key is None:
            key = super().derive_key(secret)
            if len(self._derived) > 64:  # a handful in practice (one per salt and key)
                self._derived.clear()
            self._derived[known] = key
        return key


class QuickSerializer(URLSafeTimedSerializer):
    default_signer = QuickSigner

    def dump_payload(self, obj) -> bytes:
        payload = self.serializer.dumps(obj, **self.serializer_kwargs)
        payload = payload.encode() if isinstance(payload, str) else payload
        if len(payload) < SHORT_PAYLOAD:
            return base64_encode(payload)  # as URLSafeSerializerMixin writes an uncompressed payload
        return super().dump_payload(obj)


class CookieSessions(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        # Keyed by the keys themselves: a test or a key rotation that changes them gets a new one.
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = self._serializers[keys] = self._make_serializer(app)
        return serializer

    def save_session(self, app: Flask, session, response) -> None:
        """Flask's save_session, with "Cookie" added to Vary only when Vary does not name it yet:
        Flask parses the header again for each of its two additions, and the landing page's
        answers already name it."""
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        partitioned = self.get_cookie_partitioned(app)
        samesite = self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)
        if session.accessed:
            vary_on_cookie(response)
        if not session:  # emptied: the cookie goes; never set: nothing to send
            if session.modified:
                response.delete_cookie(
                    name,
                    domain=domain,
                    path=path,
                    secure=secure,
                    partitioned=partitioned,
                    samesite=samesite,
                    httponly=httponly,
                )
                vary_on_cookie(response)
            return
        if not self.should_set_cookie(app, session):
            return
        response.set_cookie(
            name,
            self.get_signing_serializer(app).dumps(dict(session)),
            expires=self.get_expiration_time(app, session),
            httponly=httponly,
            domain=domain,
            path=path,
            secure=secure,
            partitioned=partitioned,
            samesite=samesite,
        )
        vary_on_cookie(response)

    def _make_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        return QuickSerializer(
            [*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key],  # the current key last
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method},
        )


def vary_on_cookie(response) -> None:
    vary = response.headers.get("Vary")
    if not vary or "cookie" not in (part.strip().lower() for part in vary.split(",")):
        response.vary.add("Cookie")


_csrf_serializers: dict[str | bytes, QuickSerializer] = {}


def csrf_token() -> str:
    """This request's signed CSRF token, as flask_wtf.csrf.generate_csrf makes it (the raw token
    in the session, the signed one kept in g for the request), with the serializer made once per
    secret key. Flask-WTF checks it as its own."""
    token = g.get(CSRF_FIELD)
    if token is not None:
        return token
    secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    serializer = _csrf_serializers.get(secret)
    if serializer is None:
        if len(_csrf_serializers) > 16:  # one per secret key (tests make many apps)
            _csrf_serializers.clear()
        serializer = _csrf_serializers[secret] = QuickSerializer(secret, salt=CSRF_SALT)
    raw = session.get(CSRF_FIELD)
    if not isinstance(raw, str):
        raw = session[CSRF_FIELD] = hashlib.sha1(os.urandom(64)).hexdigest()
    token = serializer.dumps(raw)
    setattr(g, CSRF_FIELD, token)
    return token
