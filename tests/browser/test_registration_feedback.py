"""The registration form's answers where the attendee looks: the coupon's beside its field, an
error gone once fixed, the same page after an error."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories.accounts import make_org
from tests.factories.catalog import make_coupon, make_product
from tests.factories.events import make_event

pytestmark = pytest.mark.browser


def _event():
    org = make_org(currency="IDR")
    event = make_event(org, name="Jakarta Dev Summit", currency="IDR")
    make_product(event, name="Conference pass", price=250000)
    return org, event


def _gap_below(page, upper: str, lower: str) -> float:
    a = page.locator(upper).bounding_box()
    b = page.locator(lower).bounding_box()
    return b["y"] - (a["y"] + a["height"])


def test_coupon_answer_shows_beside_the_field_on_a_phone(live_server, page):
    org, event = _event()
    make_coupon(event, code="SPEAKER", kind="percent", value=50)
    page.goto(f"{live_server.url}/e/{org.slug}/{event.slug}")
    coupon = page.get_by_label("Coupon code")
    assert coupon.get_attribute("type") == "text"

    page.locator("#qty-1, input.qty").first.fill("1")
    coupon.fill("nope")
    page.get_by_role("button", name="Apply").click()
    feedback = page.locator("#coupon-feedback")
    expect(feedback).to_contain_text("not")
    assert 0 <= _gap_below(page, "#apply-coupon", "#coupon-feedback") < 40
    assert feedback.bounding_box()["y"] + 20 < page.viewport_size["height"] + page.evaluate("window.scrollY")

    coupon.fill("speaker")
    page.get_by_role("button", name="Apply").click()
    expect(feedback).to_contain_text("Code SPEAKER applied.")
    expect(page.locator("#checkout-total")).to_contain_text("125,000")
    assert 0 <= _gap_below(page, "#apply-coupon", "#coupon-feedback") < 40


def test_ticket_error_clears_once_a_ticket_is_chosen_and_the_page_keeps_its_look(live_server, page):
    org, event = _event()
    page.goto(f"{live_server.url}/e/{org.slug}/{event.slug}")
    when = page.locator(".event-facts dd").first.inner_text()
    page.locator("input.qty").first.fill("0")
    page.locator("#buyer_name").fill("Sari Putri")
    page.locator("#buyer_email").fill("sari@example.org")
    page.get_by_role("button", name="Register").click()

    error = page.locator("fieldset.tickets > .error")
    expect(error).to_be_visible()
    # The same card and the same date as on the landing page.
    expect(page.locator("article.event h1")).to_have_text("Jakarta Dev Summit")
    assert page.locator(".event-facts dd").first.inner_text() == when

    page.locator("input.qty").first.fill("1")
    expect(error).to_have_count(0)
    expect(page.locator("fieldset.tickets")).not_to_have_class("tickets has-error")


def test_order_summary_adds_up(live_server, page):
    org, event = _event()
    make_coupon(event, code="SPEAKER", kind="percent", value=100)
    page.goto(f"{live_server.url}/e/{org.slug}/{event.slug}?coupon=SPEAKER")
    page.get_by_label("Coupon code").fill("SPEAKER")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#coupon-feedback")).to_contain_text("applied")
    page.locator("#buyer_name").fill("Sari Putri")
    page.locator("#buyer_email").fill("sari@example.org")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name="You're registered")).to_be_visible()

    def amount(text: str) -> int:
        digits = "".join(c for c in text if c.isdigit())
        return -int(digits) if "−" in text else int(digits)

    rows = page.locator("table.summary tbody td.num").all_inner_texts()
    total = page.locator("table.summary tfoot td.num").inner_text()
    assert [amount(r) for r in rows] == [250000, -250000]
    assert sum(amount(r) for r in rows) == amount(total) == 0
