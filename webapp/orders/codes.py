"""Order codes (read aloud, typed as a bank transfer reference) and link secrets."""

from __future__ import annotations

import secrets

# No 0/O, 1/I/L, 5/S, 2/Z, 8/B: a code read over the phone or typed from a receipt stays right.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 6


def new_order_code() -> str:
    """6 characters from a 25-letter alphabet: 244 million codes; the caller retries on a clash."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_link_secret() -> str:
    """The secret in an order page or waiting-list link: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


def new_checkout_token() -> str:
    return secrets.token_urlsafe(24)


def new_invitation_code() -> str:
    """10 characters of the unambiguous alphabet (~46 bits): hard to guess, easy to type."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
