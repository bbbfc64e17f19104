"""An event's console pages have one navigation that fits a 1366 px screen and a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1366, 390])
def test_one_event_navigation_fits_and_leads_everywhere(live_server, page, live_login, width):
    org = make_org()
    event = make_event(org, name="Jakarta Dev Summit")
    make_product(event, name="Regular", price=150000)
    live_login(page, make_member(org, "admin"))
    page.set_viewport_size({"width": width, "height": 900})

    for path, section, current in [
        (f"/console/events/{event.id}/overview", "Overview", None),
        (f"/console/events/{event.id}/products", "Set-up", "Tickets & add-ons"),
        (f"/console/events/{event.id}/checkin", "Check-in", "Check-in lists"),
    ]:
        page.goto(live_server.url + path)
        navs = page.locator("nav[aria-label=Event]")
        expect(navs).to_have_count(1)
        expect(navs.locator(".event-nav-sections [aria-current]")).to_have_text(section)
        if current:
            expect(navs.locator(".event-nav-pages [aria-current=page]")).to_have_text(current)
        # Nothing sticks out of the screen sideways: every link of the navigation is within it.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        for box in [link.bounding_box() for link in navs.locator("a").all()]:
            assert box["x"] >= 0 and box["x"] + box["width"] <= width

    page.goto(f"{live_server.url}/console/events/{event.id}/overview")
    page.locator("nav[aria-label=Event]").get_by_role("link", name="Set-up").click()
    expect(page.locator(".event-nav-pages [aria-current=page]")).to_have_text("Details")
