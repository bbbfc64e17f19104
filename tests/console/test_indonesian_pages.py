"""The console and the door in Indonesian: every page a signed-in user opens, walked with every
parameter filled, shows no English sentence of the catalog, no English month or day name, and no
number grouped the English way."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.accounts.test_event_grants import _ids, rule_url
from tests.factories.accounts import make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_registrant
from webapp.accounts.models import Membership, User

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "webapp/translations/id/LC_MESSAGES/messages.po"

# Phrases of sentences that were built from pieces before: none may come back in English.
PIECES = (
    "per order",
    "rows per file",
    "order(s)",
    "registrants match",
    "in the book since",
    "Times are in",
    "Download everything",
    "waiting since",
    "Last changed",
    "Set by",
    "Page 1",
    "(first",
    "accepted of at most",
)
# English names of months and days that Indonesian does not share ("Jan", "Sep" … are the same).
ENGLISH_DATES = re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun|May|Aug|Oct|Dec)\b")
# The API reference renders the OpenAPI description, which is written in English for developers
# (the same text as /api/openapi.json).
ENGLISH_BY_DESIGN = ("/console/api/docs",)
# Attributes a person reads (or hears from a screen reader).
READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "data-confirm", "label"}


class _Reader(HTMLParser):
    """The text a person reads on a page: text outside scripts and styles, and read attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "code", "pre", "textarea"):
            self._skip += 1
        self.parts.extend(value for name, value in attrs if name in READ_ATTRIBUTES and value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "code", "pre", "textarea"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def readable_text(page: str) -> str:
    reader = _Reader()
    reader.feed(page)
    return " ".join(" ".join(reader.parts).split())


def english_sentences() -> list[str]:
    """Catalog messages of at least three words, without placeholders or markup, that Indonesian
    says differently: seeing one on an Indonesian page means a text was not translated."""
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    found = []
    for message in catalog:
        if not message.id or isinstance(message.id, tuple) or not message.string:
            continue
        text = message.id
        if "%" in text or "<" in text or "&" in text or message.string == text or len(text.split()) < 3:
            continue
        found.append(" ".join(text.split()))
    return found


@pytest.fixture
def console_world(app):
    org = make_org("Toko Acara", timezone="Asia/Jakarta", currency="IDR")
    event = make_event(
        org,
        name="Malam Peluncuran",
        starts_at=dt.datetime(2030, 12, 6, 12, 0),
        ends_at=dt.datetime(2030, 12, 6, 15, 0),
    )
    product = make_product(event, name="Reguler", price=1_250_000, quota=2_000)
    registrant = make_registrant(event, product, buyer_name="Siti Rahma", buyer_email="siti@example.org")
    owner = User.get_by_id(Membership.get((Membership.organization == org.id) & (Membership.role == "owner")).user_id)
    owner.language = "id"
    owner.save()
    return org, event, owner, _ids(org, event, product, registrant)


def _page_urls(app, ids: dict):
    """Every GET page of the console and the door, its parameters filled with `ids`."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/console", "/checkin")) or "GET" not in (rule.methods or set()):
            continue
        yield rule_url(rule, ids)


def _walk(app, auth, world, headers=None):
    org, _, owner, ids = world
    client = auth.client_for(owner, org)
    pages = {}
    for url in sorted(set(_page_urls(app, ids)) - set(ENGLISH_BY_DESIGN)):
        response = client.get(url, headers=headers or {})
        assert response.status_code < 500, url
        if response.status_code == 200 and response.mimetype == "text/html":
            pages[url] = response.get_data(as_text=True)
    return pages


def test_every_console_and_door_page_reads_in_indonesian(app, auth, console_world):
    event_id = console_world[1].id
    pages = _walk(app, auth, console_world, headers={"Accept-Language": "en"})
    assert len([u for u in pages if f"/events/{event_id}" in u]) > 40  # the walk reached the event pages
    assert len(pages) > 90
    sentences = english_sentences()
    assert len(sentences) > 500
    english = {}
    for url, page in pages.items():
        assert "<html" not in page or '<html lang="id">' in page, url
        text = readable_text(page)
        left = [s for s in sentences if s in text]
        left += [p for p in PIECES if p in text]
        left += ENGLISH_DATES.findall(text)
        left += re.findall(r"\b\d{1,3}(?:,\d{3})+\b", text)  # 1,250 is 1.250 in Indonesian
        if left:
            english[url] = left
    assert not english, "\n".join(f"{url}: {left}" for url, left in english.items())
    products = readable_text(pages[f"/console/events/{event_id}/products"])
    assert "Sisa" in products and "1.999 / 2.000" in products  # grouped the Indonesian way


def test_the_same_pages_stay_english_for_a_user_who_chose_english(app, auth, console_world):
    owner = console_world[2]
    owner.language = "en"
    owner.save()
    event_id = console_world[1].id
    pages = _walk(app, auth, console_world, headers={"Accept-Language": "id"})
    overview = pages[f"/console/events/{event_id}/overview"]
    assert '<html lang="en">' in overview and "Ticket types" in overview
    products = readable_text(pages[f"/console/events/{event_id}/products"])
    assert "1,250,000" in products and "1,999 / 2,000" in products
