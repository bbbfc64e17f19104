"""Google Wallet: the "Add to Google Wallet" link, `https://pay.google.com/gp/v/save/<jwt>`, whose
JWT (RS256, signed with the organization's service-account key, PyJWT) carries the event ticket
class (the event) and object (the ticket) with the same facts as the Apple pass."""

from __future__ import annotations

import datetime as dt

import jwt

from webapp.orders.models import Registrant
from webapp.runtime import settings
from webapp.tickets import display, wallet, wallet_keys
from webapp.tickets.models import WalletSettings
from webapp.timeutil import zone

SAVE_URL = "https://pay.google.com/gp/v/save/"


def class_id(row: WalletSettings, event) -> str:
    return f"{row.google_issuer_id}.rollcall-event-{event.id}"


def object_id(row: WalletSettings, registrant: Registrant) -> str:
    return f"{row.google_issuer_id}.rollcall-ticket-{registrant.id}-{registrant.ticket_secret[:8]}"


def _text(value: str, lang: str) -> dict:
    return {"defaultValue": {"language": lang, "value": value}}


def ticket_class(row: WalletSettings, event, lang: str) -> dict:
    org = event.organization
    venue = {"name": _text(event.venue_name or "Online", lang)}
    if event.venue_address:
        venue["address"] = _text(" ".join(event.venue_address.split()), lang)
    ends = event.ends_at.replace(tzinfo=dt.UTC).astimezone(zone(event.timezone)).isoformat()
    return {
        "id": class_id(row, event),
        "issuerName": org.name,
        "reviewStatus": "UNDER_REVIEW",
        "eventName": _text(display.translated(event, "name", lang), lang),
        "venue": venue,
        "dateTime": {"start": wallet.local_start(event), "end": ends},
        "hexBackgroundColor": org.brand_color or "#1d4ed8",
    }


def ticket_object(row: WalletSettings, registrant: Registrant, lang: str) -> dict:
    order = registrant.order
    return {
        "id": object_id(row, registrant),
        "classId": class_id(row, order.event),
        "state": "ACTIVE",
        "ticketHolderName": registrant.name,
        "ticketNumber": order.code,
        "ticketType": _text(display.translated(registrant.product, "name", lang), lang),
        "barcode": {"type": "QR_CODE", "value": registrant.ticket_secret, "alternateText": order.code},
        "hexBackgroundColor": order.event.organization.brand_color or "#1d4ed8",
    }


def claims(row: WalletSettings, registrant: Registrant, now: dt.datetime | None = None) -> dict:
    lang = display.language(registrant.order.locale)
    issued = now or dt.datetime.now(dt.UTC)
    return {
        "iss": row.google_client_email,
        "aud": "google",
        "typ": "savetowallet",
        "iat": int(issued.timestamp()),
        "origins": [settings().base_url],
        "payload": {
            "eventTicketClasses": [ticket_class(row, registrant.order.event, lang)],
            "eventTicketObjects": [ticket_object(row, registrant, lang)],
        },
    }


def save_url(registrant: Registrant) -> str | None:
    """The save link of an admitted ticket, or None when the organization has no Google key."""
    row = wallet_keys.settings_of(registrant.order.organization_id)
    key = wallet_keys.google_signer(row)
    if key is None or not wallet.is_admitted(registrant):
        return None
    token = jwt.encode(
        claims(row, registrant), key["private_key"], algorithm="RS256", headers={"kid": key["private_key_id"]}
    )
    return SAVE_URL + token
