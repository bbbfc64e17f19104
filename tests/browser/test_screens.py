"""Every surface at a phone's width (390 px) and a laptop's (1366 px): a screenshot of each is kept
in test-artifacts/screenshots/ (not committed), axe finds no serious or critical violation, and
nothing is wider than the phone's screen."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.browser.axe import serious_violations
from tests.factories.accounts import make_org, make_user
from tests.factories.catalog import make_product
from tests.factories.checkin import make_checkin_list
from tests.factories.contacts import make_contact, make_label
from tests.factories.events import make_event
from tests.factories.orders import make_order
from webapp.db import utcnow

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
WIDTHS = (390, 1366)

# The widest element's right edge, and which element it is, when the page scrolls sideways.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return null;
  let worst = null;
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > width + 1 && (!worst || r.right > worst.right)) {
      let scrolls = false;
      for (let p = el.parentElement; p; p = p.parentElement) {
        const s = getComputedStyle(p).overflowX;
        if (s === 'auto' || s === 'scroll' || s === 'hidden') { scrolls = true; break; }
      }
      if (!scrolls) worst = {right: r.right, what: el.tagName + '.' + el.className};
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, worst};
}"""


@pytest.fixture
def shop(live_server):
    owner = make_user(email="sari@example.org", name="Sari Wulandari")
    org = make_org("Screens Org", owner=owner, timezone="Asia/Jakarta")
    org.brand_color = "#0f766e"
    org.save()
    event = make_event(
        org,
        name="Jakarta Design Week",
        timezone="Asia/Jakarta",
        starts_at=utcnow() - dt.timedelta(hours=1),
        description_md="Talks, workshops and a night market.\n\n## Programme\n- Keynote\n- Workshops",
    )
    ticket = make_product(event, name="Regular", price=150_000)
    make_product(event, name="VIP", price=450_000, quota=20)
    make_checkin_list(event)
    order = make_order(event, {ticket: 2}, buyer_name="Ana Putri", buyer_email="ana@example.org")
    make_order(event, {ticket: 1}, buyer_name="Budi Santoso", buyer_email="budi@example.org", status="pending")
    make_label(org, "VIP")
    make_contact(org, "citra@example.org", name="Citra Dewi")
    return owner, org, event, order


def _surfaces(live_server, org, event, order) -> list[tuple[str, str]]:
    base = live_server.url
    return [
        ("public-landing", f"{base}/e/{org.slug}/{event.slug}"),
        ("public-checkout", f"{base}/e/{org.slug}/{event.slug}/register"),
        ("public-order", f"{base}/o/{order.secret}"),
        ("console-dashboard", f"{base}/console/"),
        ("console-events", f"{base}/console/events/"),
        ("console-event-overview", f"{base}/console/events/{event.id}/overview"),
        ("console-registrants", f"{base}/console/events/{event.id}/registrants"),
        ("door-scanner", f"{base}/checkin/{event.id}"),
        ("console-contacts", f"{base}/console/contacts"),
        ("console-segments", f"{base}/console/segments"),
        ("console-settings", f"{base}/console/settings"),
        ("console-profile", f"{base}/console/profile"),
    ]


def test_every_surface_at_phone_and_laptop_width(live_server, browser, shop):
    owner, org, event, order = shop
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-US")
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{live_server.url}/login")
        page.get_by_label("Email").fill(owner.email)
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login" not in url)
        for name, url in _surfaces(live_server, org, event, order):
            response = page.goto(url)
            if response.status != 200:
                problems.append(f"{name}: {response.status}")
                continue
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
            problems += [f"{name} at {width}px: {v}" for v in serious_violations(page)]
            if width == 390:
                overflow = page.evaluate(OVERFLOW)
                if overflow:
                    problems.append(f"{name} at 390px scrolls sideways: {overflow}")
        context.close()
    assert not problems, "\n".join(problems)
    assert len(list(SCREENSHOTS.glob("*.png"))) >= 2 * 12
