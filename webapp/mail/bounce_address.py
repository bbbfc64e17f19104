"""The envelope sender of outgoing mail, when the instance has a bounce mailbox (BOUNCE_ADDRESS):
bounces+<token>@domain, where the token names the outbox row and is signed, so a delivery report
sent back to it says which message it is about (VERP) and cannot be made up for another one.
Mail servers return DSNs and forward complaints to the envelope sender (the Return-Path).

The same mailbox takes the mailto: form of List-Unsubscribe (RFC 2369/8058):
bounces+unsubscribe-<token>@domain, the token signed for unsubscribing (another key than the
bounce token's), in lower case only, so mail servers that change the case of an address keep it."""

from __future__ import annotations

import hashlib
import hmac
import re

from webapp.runtime import settings

_TOKEN = re.compile(r"^([0-9a-z]{1,13})-([0-9a-f]{12})$")
UNSUBSCRIBE = "unsubscribe-"
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(number: int) -> str:
    out = ""
    while True:
        number, digit = divmod(number, 36)
        out = _DIGITS[digit] + out
        if not number:
            return out


def _mac(text: str, purpose: str = "bounce") -> str:
    key = (settings().secret_key or "").encode()
    return hmac.new(key, f"{purpose}:{text}".encode(), hashlib.sha256).hexdigest()[:12]


def token(outbox_id: int, purpose: str = "bounce") -> str:
    ident = _base36(outbox_id)
    return f"{ident}-{_mac(ident, purpose)}"


def _with_tail(tail: str) -> str | None:
    address = settings().bounce_address
    if not address:
        return None
    local, _, domain = address.partition("@")
    return f"{local}+{tail}@{domain}"


def envelope_sender(outbox_id: int) -> str | None:
    """bounces+<token>@domain for this outbox row, or None without a bounce mailbox."""
    return _with_tail(token(outbox_id))


def unsubscribe_address(outbox_id: int) -> str | None:
    """bounces+unsubscribe-<token>@domain: mail to it unsubscribes the message's contact (None
    without a bounce mailbox)."""
    return _with_tail(UNSUBSCRIBE + token(outbox_id, "unsubscribe"))


def is_bounce_address(address: str) -> bool:
    """Is this (an envelope recipient) the bounce mailbox, with or without a token?"""
    mailbox = settings().bounce_address
    if not mailbox:
        return False
    local, _, domain = address.strip().strip("<>").lower().rpartition("@")
    base_local, _, base_domain = mailbox.partition("@")
    return domain == base_domain and local.split("+", 1)[0] == base_local


def _tail(address: str) -> str | None:
    """What follows the "+" of a bounce mailbox address (None: not the mailbox, or no "+")."""
    if not is_bounce_address(address):
        return None
    local = address.strip().strip("<>").lower().rpartition("@")[0]
    _, plus, tail = local.partition("+")
    return tail if plus else None


def _checked(tail: str | None, purpose: str) -> int | None:
    match = _TOKEN.match(tail) if tail else None
    if match is None or not hmac.compare_digest(_mac(match.group(1), purpose), match.group(2)):
        return None
    return int(match.group(1), 36)


def outbox_id_of(address: str) -> int | None:
    """The outbox row a bounce address names, when its token is ours; None otherwise."""
    return _checked(_tail(address), "bounce")


def is_unsubscribe_address(address: str) -> bool:
    """Is this the unsubscribe form of the mailbox (whether its token is good or not)?"""
    return (_tail(address) or "").startswith(UNSUBSCRIBE)


def unsubscribe_outbox_id(address: str) -> int | None:
    """The outbox row an unsubscribe address names, when its token is ours; None otherwise."""
    tail = _tail(address) or ""
    return _checked(tail.removeprefix(UNSUBSCRIBE), "unsubscribe") if tail.startswith(UNSUBSCRIBE) else None
