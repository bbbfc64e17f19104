"""The event page and the event set-up in Chromium: keyboard language switch, no CSP
violations, and the htmx reordering of ticket types."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from webapp.catalog.models import Product

pytestmark = pytest.mark.browser


def test_keyboard_user_switches_the_event_page_to_indonesian(live_server, page):
    org = make_org(timezone="Asia/Jakarta")
    event = make_event(
        org,
        name="Jakarta Dev Summit",
        status="closed",
        languages=["en", "id"],
        translations={"id": {"summary": "Sehari penuh untuk pengembang."}},
    )
    make_product(event, name="Regular", price=150000)
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None)

    page.goto(f"{live_server.url}/e/{org.slug}/{event.slug}")
    expect(page.get_by_text("Registration is closed.")).to_be_visible()
    switch = page.get_by_role("link", name="Bahasa Indonesia")
    switch.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Pendaftaran ditutup.")).to_be_visible()
    expect(page.get_by_text("Sehari penuh untuk pengembang.")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "id"
    assert not problems, problems


def test_operator_reorders_ticket_types_without_a_reload(live_server, page, live_login):
    org = make_org()
    user = make_member(org, "manager")
    event = make_event(org)
    make_product(event, name="Early bird")
    make_product(event, name="Regular")
    live_login(page, user)

    page.goto(f"{live_server.url}/console/events/{event.id}/products")
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name="Move Regular up").click()
    expect(page.locator("#product-rows tbody tr").first).to_contain_text("Regular")
    assert page.evaluate("window.__sameDocument") is True
    assert [p.name for p in Product.select().order_by(Product.position)] == ["Regular", "Early bird"]
