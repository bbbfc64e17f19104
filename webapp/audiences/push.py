"""Web Push with the ecosystem's libraries: the organization's VAPID keys (py-vapid), and one push
to one subscription (pywebpush: aes128gcm encryption, RFC 8291, and the VAPID header, RFC 8292)."""

from __future__ import annotations

import base64
import ipaddress
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

import peewee as pw
import requests
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from webapp.audiences.models import PushKeys
from webapp.db import db
from webapp.payments import vault
from webapp.runtime import settings

PURPOSE = b"rollcall.audiences.vapid.v1"
TTL = 24 * 60 * 60  # a push not delivered within a day is no longer news
TIMEOUT = 10  # seconds per push service request
GONE = (404, 410)  # the subscription no longer exists: forget it


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def keys_for(org_id: int) -> PushKeys:
    """The organization's VAPID keys, made on first use."""
    found = PushKeys.get_or_none(PushKeys.organization == org_id)
    if found is not None:
        return found
    vapid = Vapid()
    vapid.generate_keys()
    public = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    try:
        with db.atomic():
            return PushKeys.create(
                organization=org_id,
                public_key=b64url(public),
                private_key=vault.encrypt(vapid.private_pem().decode(), purpose=PURPOSE),
            )
    except pw.IntegrityError:  # made at the same moment by another request
        return PushKeys.get(PushKeys.organization == org_id)


def signer(keys: PushKeys) -> Vapid:
    return Vapid.from_pem(vault.decrypt(keys.private_key, purpose=PURPOSE).encode())


def endpoint_allowed(endpoint: str) -> bool:
    """A push service is a public HTTPS server. Outside production a loopback http:// one is
    allowed too (the local push service of the tests and of development)."""
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password:
        return False
    loopback = host == "localhost" or _is_ip(host, lambda ip: ip.is_loopback)
    if settings().env != "production" and loopback and parts.scheme in ("http", "https"):
        return True
    if parts.scheme != "https" or loopback or host.endswith(".localhost"):
        return False
    return not _is_ip(host, lambda ip: not ip.is_global)


def _is_ip(host: str, test) -> bool:
    try:
        return test(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return False


@dataclass
class Outcome:
    delivered: bool = False
    gone: bool = False
    error: str = ""


def send(subscription, keys: Vapid, payload: dict, *, contact_email: str) -> Outcome:
    """Encrypt and post one push; what the push service answered."""
    info = {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
    try:
        webpush(
            info,
            data=json.dumps(payload, ensure_ascii=False),
            vapid_private_key=keys,
            # A fresh dict per push: pywebpush writes the push service's origin into it as "aud".
            vapid_claims={"sub": f"mailto:{contact_email}"},
            content_encoding="aes128gcm",
            ttl=TTL,
            timeout=TIMEOUT,
        )
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        return Outcome(gone=status in GONE, error=f"{status}: {exc.message}"[:300])
    except requests.RequestException as exc:
        return Outcome(error=str(exc)[:300])
    return Outcome(delivered=True)
