"""The email template editor in a real browser: the preview follows what the operator types, and
a broken template shows what is wrong before anything is saved."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories.accounts import make_org, make_user
from tests.factories.events import make_event
from webapp.mail.models import EmailTemplate

pytestmark = pytest.mark.browser


def test_live_preview_follows_typing_and_flags_broken_templates(live_server, page, live_login):
    owner = make_user(email="olivia@example.org", name="Olivia")
    org = make_org("Browser Org", owner=owner)
    event = make_event(org, name="Browser Conf")
    page.set_viewport_size({"width": 1280, "height": 900})
    live_login(page, owner)

    page.goto(f"{live_server.url}/console/events/{event.id}/emails/ticket/en")
    preview = page.locator("#preview")
    assert "Your ticket for Browser Conf" in preview.inner_text()

    page.get_by_label("Subject").fill("See you soon, {{ attendee.first_name }}!")
    expect(preview).to_contain_text("See you soon, Ana!")

    page.get_by_label("Subject").fill("{{ ''.__class__ }}")
    expect(preview).to_contain_text("cannot be used yet")
    page.get_by_role("button", name="Save template").click()
    page.locator("#subject-error").wait_for()
    assert "only the listed placeholders" in page.locator("#subject-error").inner_text()
    assert EmailTemplate.select().count() == 0

    page.get_by_label("Subject").fill("Welcome, {{ attendee.name }}")
    page.get_by_role("button", name="Save template").click()
    page.get_by_text("Template saved.").wait_for()
    assert EmailTemplate.get().subject == "Welcome, {{ attendee.name }}"
