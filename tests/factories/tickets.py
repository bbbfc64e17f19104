from __future__ import annotations

import pypdfium2 as pdfium
import zxingcpp

from tests.factories.accounts import make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_order


def make_paid_order(names=("Ana Putri",), *, org=None, event=None, price=0, locale="en", **kwargs):
    """A paid order of a new event (or `event`) with one registrant per name, bought by the first."""
    org = org or make_org(timezone="Asia/Jakarta", currency="IDR")
    event = event or make_event(org, name="Jakarta Tech Summit", venue_name="Balai Kartini", timezone="Asia/Jakarta")
    product = make_product(event, name="Regular", price=price)
    attendees = [{"name": n, "email": f"{n.split()[0].lower()}@example.org"} for n in names]
    kwargs.setdefault("buyer_name", attendees[0]["name"])  # the buyer is the first attendee
    kwargs.setdefault("buyer_email", attendees[0]["email"])
    return make_order(event, {product: len(names)}, attendees=attendees, locale=locale, **kwargs)


def pdf_pages(data: bytes) -> list:
    """Each page of a PDF as a PIL image (200 dpi)."""
    document = pdfium.PdfDocument(data)
    return [page.render(scale=200 / 72).to_pil() for page in document]


def pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def decode_qr(image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def pdf_font_names(data: bytes) -> set[str]:
    """Names of the fonts embedded in a PDF (object streams included)."""
    import re
    import zlib

    chunks = [data]
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            chunks.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    names = set()
    for chunk in chunks:
        names.update(m.decode() for m in re.findall(rb"/FontName\s*/([A-Za-z0-9+\-]+)", chunk))
    return names
