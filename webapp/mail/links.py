"""Absolute links for emails, built from BASE_URL (tasks have no request to take a host from)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app

from webapp.runtime import settings
from webapp.tickets import wallet_keys


def external_url(endpoint: str, **values) -> str:
    base = urlsplit(settings().base_url)
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def order_url(order) -> str:
    """The attendee's order page (tickets, payment, cancellation)."""
    return f"{settings().base_url}/o/{order.secret}"


def ticket_url(registrant) -> str:
    return external_url("tickets.registrant_pdf", secret=registrant.order.secret, registrant_id=registrant.id)


def wallet_urls(registrant) -> dict[str, str]:
    """The ticket's add-to-wallet links, each empty when the organization does not issue that pass."""
    row = wallet_keys.settings_of(registrant.order.organization_id)
    values = {"secret": registrant.order.secret, "registrant_id": registrant.id}
    return {
        "apple_url": external_url("wallet.apple_pass", **values) if row.apple_certificate else "",
        "google_url": external_url("wallet.google_pass", **values) if row.google_key else "",
    }


def order_tickets_url(order) -> str:
    return external_url("tickets.order_pdf", secret=order.secret)


def event_url(event) -> str:
    return f"{settings().base_url}/e/{event.organization.slug}/{event.slug}"
