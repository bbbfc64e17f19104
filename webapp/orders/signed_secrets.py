"""Signed ticket secrets: when an event turns them on, each new ticket's secret carries an Ed25519
signature by the event's key, so a door device holding only the public key can tell a real ticket
of this event from an invented one without having seen it (sold after its last sync).

A signed secret is base32 (A-Z, 2-7: what a hardware scanner types on any layout) of 83 bytes:
version (1), event id (4), product id (4), random (10), then the signature (64) over those 19
bytes: 133 characters. It is still the registrant's ticket_secret, looked up as any other online;
unsigned secrets (26 characters) stay valid. The private key is kept only sealed (webapp/sealed.py).
"""

from __future__ import annotations

import base64
import functools
import secrets
import struct

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from webapp.accounts import audit
from webapp.accounts.models import User
from webapp.db import write_transaction
from webapp.events.models import Event
from webapp.i18n import stored_text
from webapp.orders.models import TicketSigningKey
from webapp.orders.ticket_secrets import new_ticket_secret
from webapp.sealed import SecretUnreadable, seal, unseal

VERSION = 1
PURPOSE = b"rollcall.tickets.signing-key.v1"
_PAYLOAD = struct.Struct(">BII10s")  # version, event id, product id, random
SIGNED_LENGTH = 133  # base32 characters of 19 + 64 bytes, without padding
_RAW = serialization.Encoding.Raw


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signing_key(event: Event) -> TicketSigningKey:
    """The event's key pair, made on first use."""
    key = TicketSigningKey.get_or_none(TicketSigningKey.event == event.id)
    if key is not None:
        return key
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    public = private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    TicketSigningKey.insert(
        organization=event.organization_id, event=event.id, public_key=_b64(public),
        private_key=seal(_b64(seed), purpose=PURPOSE),
    ).on_conflict_ignore().execute()  # fmt: skip
    return TicketSigningKey.get(TicketSigningKey.event == event.id)  # a concurrent first use won


def public_key(event: Event) -> str | None:
    """The raw public key (base64url) a door device verifies with; None when the event has none."""
    key = TicketSigningKey.get_or_none(TicketSigningKey.event == event.id)
    return key.public_key if key else None


def set_signed_tickets(event: Event, on: bool, *, actor: User | None) -> None:
    """Turn signed secrets on or off for tickets made from now on (existing tickets keep theirs)."""
    with write_transaction():
        if on:
            try:
                _private_key(signing_key(event).private_key)
            except SecretUnreadable:  # sealed under an earlier SECRET_KEY: a new key pair
                TicketSigningKey.delete().where(TicketSigningKey.event == event.id).execute()
                signing_key(event)
        Event.update(signed_tickets=on).where(Event.id == event.id).execute()
        event.signed_tickets = on
        audit.record(
            event.organization_id,
            "event.signed_tickets",
            user=actor,
            target=event,
            summary=stored_text(
                "Signed ticket secrets %(state)s for %(event)s",
                state=stored_text("on") if on else stored_text("off"),
                event=event.name,
            ),
        )


@functools.lru_cache(maxsize=64)
def _private_key(sealed_seed: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_unb64(unseal(sealed_seed, purpose=PURPOSE)))


def secret_for(event: Event, product_id: int) -> str:
    """A new ticket secret for `event`: signed when the event says so, random otherwise."""
    if not event.signed_tickets:
        return new_ticket_secret()
    key = signing_key(event)
    try:
        private = _private_key(key.private_key)
    except SecretUnreadable:
        # SECRET_KEY changed since the key was made: a plain secret still scans online; turning
        # signing off and on makes a new key pair.
        return new_ticket_secret()
    payload = _PAYLOAD.pack(VERSION, event.id, product_id, secrets.token_bytes(10))
    signature = private.sign(payload)
    return base64.b32encode(payload + signature).decode().rstrip("=")


def verify(secret: str, public: str) -> tuple[int, int] | None:
    """(event id, product id) of a signed secret whose signature `public` accepts, else None.
    The door device does the same in the browser; this is its reference."""
    if len(secret) != SIGNED_LENGTH:
        return None
    try:
        data = base64.b32decode(secret + "=" * (-len(secret) % 8))
        Ed25519PublicKey.from_public_bytes(_unb64(public)).verify(data[19:], data[:19])
    except Exception:  # noqa: BLE001 - any malformed or forged secret is simply not signed by us
        return None
    version, event_id, product_id, _random = _PAYLOAD.unpack(data[:19])
    return (event_id, product_id) if version == VERSION else None
