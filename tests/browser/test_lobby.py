"""The ticket holder's lobby on a phone: everything fits the screen, axe finds nothing serious,
the join link and the group's document are there and the document opens."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.axe import serious_violations
from tests.browser.test_screens import OVERFLOW
from tests.factories.accounts import make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_order
from webapp.catalog import groups as catalog_groups
from webapp.db import utcnow
from webapp.documents import service as documents
from webapp.events import announcements

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_the_lobby_fits_a_phone_and_serves_the_groups_document(live_server, page):
    org = make_org("Lobby Org", timezone="Asia/Jakarta")
    event = make_event(
        org, name="Hybrid Summit", timezone="Asia/Jakarta", starts_at=utcnow() + dt.timedelta(minutes=10),
        online_url="https://meet.example.org/a-very-long-room-name-that-should-still-wrap-on-a-phone-screen",
        venue_map_url="https://maps.example.org/hall", description_md="## Day one\n\nKeynote, then workshops.",
    )  # fmt: skip
    ticket = make_product(event, name="Regular", price=0)
    default = catalog_groups.default_group(event)
    documents.upload(event, filename="Attendee guide.pdf", data=PDF, visibility="groups", group_ids=[default.id],
                     actor=None)  # fmt: skip
    announcements.post(event, "Lunch is served on the second floor. " * 5, actor=None)
    order = make_order(event, {ticket: 1})

    page.goto(f"{live_server.url}/o/{order.secret}")
    assert page.get_by_role("heading", name="Your event lobby").is_visible()
    assert page.get_by_role("link", name="Join online").is_visible()
    assert page.evaluate(OVERFLOW) is None
    assert serious_violations(page) == []
    with page.expect_download() as download:
        page.get_by_role("link", name="Attendee guide").click()
    assert download.value.suggested_filename == "Attendee guide.pdf"
