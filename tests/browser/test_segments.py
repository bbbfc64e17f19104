"""The segment editor in a real browser: add a condition and a group, flip AND/OR and watch the
live count follow, save, reopen; the editor passes axe with no serious violation."""

from __future__ import annotations

import pytest

from tests.browser.axe import serious_violations
from tests.browser.htmx import wired
from tests.factories.accounts import make_org, make_user
from tests.factories.contacts import make_contact, make_label
from webapp.contacts import service as contacts
from webapp.segments.models import Segment

pytestmark = pytest.mark.browser


def _count(page) -> str:
    return page.locator("#segment-preview [data-count]").get_attribute("data-count")


def _wait_count(page, value: str) -> None:
    page.wait_for_function(
        "v => document.querySelector('#segment-preview [data-count]')?.dataset.count === v", arg=value
    )


def test_operator_builds_a_segment_and_reopens_it(live_server, page, live_login):
    owner = make_user(email="omar@example.org", name="Omar")
    org = make_org("Segments Org", owner=owner)
    vip, speaker = make_label(org, "VIP"), make_label(org, "Speaker")
    for email, names in [
        ("ana@example.org", ["VIP", "Speaker"]),
        ("budi@example.org", ["VIP"]),
        ("citra@example.org", ["Speaker"]),
        ("dewi@example.org", []),
    ]:
        contact = make_contact(org, email)
        for name in names:
            contacts.add_label(contact, name)

    live_login(page, owner)
    page.goto(f"{live_server.url}/console/segments")
    page.get_by_role("link", name="Create your first segment").click()
    assert _count(page) == "4"  # no condition yet: everyone
    page.get_by_label("Name").fill("VIP speakers")

    page.get_by_role("button", name="+ Condition").click()
    wired(page, "#n-0-value")
    page.locator("#n-0-value").select_option(str(vip.id))
    _wait_count(page, "2")

    page.get_by_role("button", name="+ Group").first.click()
    wired(page, "#n-1-0-value")
    page.locator("#n-1-0-value").select_option(str(speaker.id))
    _wait_count(page, "1")  # VIP and Speaker: Ana

    page.locator("#segment-tree fieldset").first.get_by_text("any (OR)").click()
    _wait_count(page, "3")  # VIP or Speaker: Ana, Budi, Citra
    assert page.locator("#segment-preview .segment-sample li").count() == 3
    assert serious_violations(page) == []

    page.get_by_role("button", name="Save segment").click()
    page.get_by_role("heading", name="VIP speakers").wait_for()
    segment = Segment.get(Segment.name == "VIP speakers")
    assert segment.tree["join"] == "or" and segment.tree["children"][1]["type"] == "group"
    assert page.locator("[data-total]").get_attribute("data-total") == "3"
    assert serious_violations(page) == []

    page.get_by_role("link", name="Edit conditions").click()
    page.locator("#n-1-0-value").wait_for()
    assert page.locator('input[name="n:join"][value="or"]').is_checked()
    assert page.locator("#n-1-0-value").input_value() == str(speaker.id)
    assert _count(page) == "3"
