"""What a ticket PDF shows, as plain data (hashed into the stored file's fingerprint), and the
HTML page it is printed from."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from pathlib import Path

import qrcode
from flask import render_template
from flask_babel import force_locale
from qrcode.constants import ERROR_CORRECT_M

from webapp.runtime import settings
from webapp.tickets import display

# Bump when the ticket layout changes: every stored PDF becomes stale and is generated again.
LAYOUT_VERSION = 1


def ticket_data(order, registrants, ticket_settings) -> dict:
    """Everything the document prints, as JSON-able data. Same data, same PDF."""
    event = order.event
    org = event.organization
    lang = display.language(order.locale)
    return {
        "layout": LAYOUT_VERSION,
        "lang": lang,
        "page_size": ticket_settings.page_size,
        "note": ticket_settings.note,
        "org": {"name": org.name, "color": org.brand_color or "#1d4ed8", "logo": _logo(org)},
        "event": {
            "name": display.translated(event, "name", lang),
            "when": display.when(event, lang),
            "venue_name": event.venue_name,
            "venue_address": event.venue_address,
            "online_url": event.online_url,
        },
        "tickets": [
            {
                "name": r.name,
                "ticket_type": display.translated(r.product, "name", lang),
                "order_code": order.code,
                "secret": r.ticket_secret,
                "price": display.price(r.item.price - r.item.discount, order.currency, lang)
                if ticket_settings.show_price and r.item is not None
                else None,
            }
            for r in registrants
        ],
    }


def fingerprint(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def render_html(data: dict) -> str:
    with force_locale(data["lang"]):
        return render_template(
            "pdf/tickets/tickets.html",
            doc=data,
            qr={t["secret"]: qr_data_url(t["secret"]) for t in data["tickets"]},
        )


def qr_data_url(secret: str) -> str:
    """The QR of exactly the ticket secret, as a PNG data: URL (the fastest image for WeasyPrint)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=8, border=4)
    code.add_data(secret)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _logo(org) -> dict | None:
    """The organization's logo as a file URL under instance/, with its mtime so a new logo at the
    same path still changes the fingerprint."""
    if not org.logo_path:
        return None
    instance = settings().instance_dir.resolve()
    path = (instance / org.logo_path).resolve()
    if not path.is_relative_to(instance) or not path.is_file():
        return None
    return {"url": Path(path).as_uri(), "mtime": int(path.stat().st_mtime)}
