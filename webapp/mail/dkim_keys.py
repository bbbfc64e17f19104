"""DKIM keys, the DNS records an organization publishes, and what DNS says about them.

`lookup_txt` is the one function that talks to DNS (tests replace it)."""

from __future__ import annotations

import base64
import secrets

import dkim
import dns.exception
import dns.resolver
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

SIGNED_HEADERS = [b"From", b"To", b"Subject", b"Date", b"Message-ID", b"Reply-To", b"MIME-Version", b"Content-Type"]


def new_key_pair() -> tuple[str, str]:
    """(private key PEM, public key as base64 DER for the p= tag). RSA 2048: what every
    receiver accepts and what fits in a DNS TXT record."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, base64.b64encode(public).decode()


def new_selector() -> str:
    """A selector of our own per domain row, so two keys for one domain never collide."""
    return f"rollcall{secrets.token_hex(3)}"


def dkim_record_name(selector: str, domain: str) -> str:
    return f"{selector}._domainkey.{domain}"


def dkim_record_value(public_key: str) -> str:
    return f"v=DKIM1; k=rsa; p={public_key}"


SPF_VALUE = "v=spf1 a mx ~all"


def lookup_txt(name: str) -> list[str]:
    """The TXT strings published at `name` (each record's chunks joined); [] when none."""
    try:
        answer = dns.resolver.resolve(name, "TXT", lifetime=5)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except (dns.exception.DNSException, OSError) as exc:
        raise LookupError(f"DNS lookup of {name} failed: {exc}") from exc
    return [b"".join(record.strings).decode(errors="replace") for record in answer]


def _tags(record: str) -> dict[str, str]:
    tags = {}
    for part in record.split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            tags[name.strip().lower()] = "".join(value.split())
    return tags


def check_dkim(selector: str, domain: str, public_key: str) -> bool:
    """Is our public key published at the selector?"""
    for record in lookup_txt(dkim_record_name(selector, domain)):
        tags = _tags(record)
        if tags.get("p") == public_key and tags.get("v", "DKIM1") == "DKIM1":
            return True
    return False


def check_spf(domain: str) -> bool:
    """Does the domain publish an SPF policy? (Which servers it names is the operator's business:
    their mail provider's include: is as valid as ours.)"""
    return any(record.strip().lower().startswith("v=spf1") for record in lookup_txt(domain))


def sign(message: bytes, *, selector: str, domain: str, private_key: str) -> bytes:
    """The DKIM-Signature header line (with its CRLF) for the message."""
    head = message.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    present = {line.split(b":", 1)[0].strip().lower() for line in head.split(b"\n") if line[:1] not in (b" ", b"\t")}
    return dkim.sign(
        message,
        selector.encode(),
        domain.encode(),
        private_key.encode(),
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=[h for h in SIGNED_HEADERS if h.lower() in present],
    )
