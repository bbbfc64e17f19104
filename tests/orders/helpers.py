"""Posting the registration form the way a browser does."""

from __future__ import annotations

import secrets


def register_url(event) -> str:
    return f"/e/{event.organization.slug}/{event.slug}/register"


def form(products: dict, **fields) -> dict:
    data = {"checkout_token": secrets.token_urlsafe(24), "buyer_name": "Ana Putri", "buyer_email": "ana@example.org"}
    data.update({f"qty-{p.id}": str(n) for p, n in products.items()})
    data.update(fields)
    return data
