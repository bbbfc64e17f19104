"""Ticket secrets: what the QR code carries. Made with each registrant (orders); checked at the door."""

from __future__ import annotations

import base64
import secrets

SECRET_LENGTH = 26  # base32 characters: 130 bits


def new_ticket_secret() -> str:
    """130 random bits as 26 characters of A-Z and 2-7: survives any keyboard layout a hardware
    scanner types with, and fits QR's compact alphanumeric mode."""
    return base64.b32encode(secrets.token_bytes(17)).decode()[:SECRET_LENGTH]


def normalize_scanned(text: str) -> str:
    """What a scanner or a person typed -> the secret to look up (case and spaces forgiven)."""
    return "".join(text.split()).upper()
