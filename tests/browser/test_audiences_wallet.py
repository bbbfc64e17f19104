"""In a real browser: the landing page offers "Get notified" where the Push API exists and its
service worker registers for the whole site; an operator schedules a push and sees it listed; the
wallet keys page and the audiences page pass axe with no serious violation."""

from __future__ import annotations

import pytest

from tests.browser.axe import serious_violations
from tests.factories.accounts import make_org, make_user
from tests.factories.events import make_event

pytestmark = pytest.mark.browser


def test_get_notified_shows_and_its_service_worker_covers_the_site(live_server, page):
    org = make_org("Kopi Kita")
    event = make_event(org, name="Latte Art Night", status="published")

    page.goto(f"{live_server.url}/e/{org.slug}/{event.slug}")
    box = page.locator(".push-optin")
    box.wait_for(state="visible")  # the script shows it: this browser has the Push API
    assert box.get_by_role("button", name="Notify me about this event").is_visible()
    assert box.get_by_role("button", name="Notify me about Kopi Kita").is_visible()
    scope = page.evaluate("() => navigator.serviceWorker.register('/push-sw.js', {scope: '/'}).then(r => r.scope)")
    assert scope == f"{live_server.url}/"
    assert serious_violations(page) == []


def test_operator_schedules_a_push_and_the_console_pages_pass_axe(live_server, page, live_login):
    owner = make_user(email="omar@example.org", name="Omar")
    org = make_org("Push Org", owner=owner, timezone="Asia/Jakarta")
    make_event(org, name="Latte Art Night", status="published")

    live_login(page, owner)
    page.goto(f"{live_server.url}/console/audiences")
    assert serious_violations(page) == []
    page.get_by_label("Send to").select_option(label="Followers of Latte Art Night")
    page.get_by_label("Title").fill("Doors open")
    page.get_by_label("Message").fill("In 30 minutes")
    page.get_by_label("Send at").fill("2099-01-01T09:00")
    page.get_by_role("button", name="Send", exact=True).click()
    page.get_by_text("Scheduled.").wait_for()
    row = page.locator("#push-messages tr", has_text="Doors open")
    assert "scheduled" in row.inner_text()
    assert "Latte Art Night" in row.inner_text()

    page.goto(f"{live_server.url}/console/wallet")
    assert page.get_by_role("heading", name="Apple Wallet").is_visible()
    assert serious_violations(page) == []
