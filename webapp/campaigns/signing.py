"""DKIM signatures for campaign messages (RFC 6376, rsa-sha256, relaxed/relaxed), made fast.

The outbox signs with dkimpy, which parses the PEM key and computes RSA in Python on every call
(about 7 ms a message). A campaign signs thousands of messages with one key, so a Signer parses
the key once and signs with OpenSSL (cryptography); the canonicalization is the few rules of
"relaxed" for headers and body. Signatures verify with dkimpy (tests check it).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

SIGNED = (
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "reply-to",
    "mime-version",
    "content-type",
    "list-unsubscribe",
    "list-unsubscribe-post",
)
# The signed headers that differ from one message to the next (the others are kept canonicalized).
_PER_MESSAGE = frozenset({b"to", b"subject", b"date", b"message-id", b"list-unsubscribe", b"content-type"})
_WSP = re.compile(rb"[ \t]+")
_TRAILING_WSP = re.compile(rb"[ \t]+\r\n")


def _relaxed_header(name: bytes, value: bytes) -> bytes:
    value = _WSP.sub(b" ", value.replace(b"\r\n", b"")).strip(b" ")
    return name.strip().lower() + b":" + value


def relaxed_body(body: bytes) -> bytes:
    if b"\t" in body or b"  " in body or b" \r\n" in body or body.endswith(b" "):
        body = _TRAILING_WSP.sub(b"\r\n", _WSP.sub(b" ", body))  # else nothing to change: base64 parts
    body = body.rstrip(b"\r\n")
    return body + b"\r\n" if body else b""


def _split(message: bytes) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """(headers as (name, raw value with its folds), body) of a CRLF message."""
    head, _, body = message.partition(b"\r\n\r\n")
    headers: list[tuple[bytes, bytes]] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + b"\r\n" + line)
        else:
            name, _, value = line.partition(b":")
            headers.append((name, value))
    return headers, body


@functools.lru_cache(maxsize=32)
def _key(private_key_pem: str):
    return serialization.load_pem_private_key(private_key_pem.encode(), password=None)


class Signer:
    def __init__(self, *, selector: str, domain: str, private_key: str):
        self.selector, self.domain = selector, domain
        self.key = _key(private_key)
        # Headers the same in every message of a campaign (From, MIME-Version...), canonicalized once.
        self.canonical: dict[tuple[bytes, bytes], bytes] = {}

    def _canonical(self, name: bytes, value: bytes) -> bytes:
        if name in _PER_MESSAGE:
            return _relaxed_header(name, value) + b"\r\n"
        found = self.canonical.get((name, value))
        if found is None:
            found = _relaxed_header(name, value) + b"\r\n"
            if len(self.canonical) < 64:
                self.canonical[(name, value)] = found
        return found

    def sign(self, message: bytes) -> bytes:
        """The DKIM-Signature header line (CRLF-terminated) to put in front of `message`."""
        headers, body = _split(message)
        present = {name.strip().lower(): value for name, value in headers}
        names = [name for name in SIGNED if name.encode() in present]
        body_hash = base64.b64encode(hashlib.sha256(relaxed_body(body)).digest()).decode()
        tags = (
            f"v=1; a=rsa-sha256; c=relaxed/relaxed; d={self.domain}; s={self.selector}; "
            f"t={int(time.time())}; h={':'.join(names)}; bh={body_hash}; b="
        )
        hashed = b"".join(self._canonical(n, present[n]) for n in map(str.encode, names))
        hashed += _relaxed_header(b"DKIM-Signature", b" " + tags.encode())
        signature = self.key.sign(hashed, padding.PKCS1v15(), hashes.SHA256())
        b64 = base64.b64encode(signature).decode()
        folded = "\r\n\t".join(b64[i : i + 72] for i in range(0, len(b64), 72))
        return f"DKIM-Signature: {tags}\r\n\t{folded}\r\n".encode()
