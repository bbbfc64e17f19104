"""What a ticket PDF shows, as plain data (hashed into the stored file's fingerprint), and the
HTML page it is printed from."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import mimetypes

import qrcode
from flask import render_template
from flask_babel import force_locale
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M

from webapp.storage import InvalidKey, storage
from webapp.tickets import display
from webapp.tickets.pdf import render_pdf

# Bump when the ticket layout changes: every stored PDF becomes stale and is generated again.
LAYOUT_VERSION = 2


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
                if ticket_settings.show_price and r.item_id is not None
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


def stylesheet(page_size: str) -> str:
    """The layout CSS for a page size (one string per size: render_pdf parses it once)."""
    return render_template("pdf/tickets/tickets.css", page_size=page_size)


def render(data: dict) -> bytes:
    return render_pdf(render_html(data), css=stylesheet(data["page_size"]))


def qr_data_url(secret: str) -> str:
    """The QR of exactly the ticket secret, as a PNG data: URL (the fastest image for WeasyPrint):
    one pixel per module, scaled up crisply by the stylesheet (image-rendering: pixelated).

    The mask is fixed rather than chosen by penalty scoring: every mask is valid for any reader,
    and scoring all eight costs more than the rest of the QR."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4, mask_pattern=0)
    code.add_data(secret)
    code.make(fit=True)
    matrix = code.get_matrix()  # border included
    image = Image.new("1", (len(matrix), len(matrix)), 1)
    image.putdata([0 if dark else 1 for row in matrix for dark in row])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _logo(org) -> dict | None:
    """The organization's logo as a data: URL read from storage (the PDF renderer fetches nothing
    else), with a digest of its bytes so that a new logo changes the fingerprint."""
    if not org.logo_path:
        return None
    try:
        data = storage().read(org.logo_path)
    except (FileNotFoundError, InvalidKey):
        return None
    return {"url": image_data_url(org.logo_path, data), "mtime": hashlib.sha256(data).hexdigest()[:16]}


def image_data_url(name: str, data: bytes) -> str:
    mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"data:{mimetype};base64," + base64.b64encode(data).decode()
