"""Registering on the landing page in Chromium: the coupon changes the price without a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories.accounts import make_org
from tests.factories.catalog import make_coupon, make_product
from tests.factories.events import make_event
from webapp.orders.models import Order

pytestmark = pytest.mark.browser


def test_register_with_a_coupon_and_see_the_confirmation(live_server, page):
    org = make_org(currency="IDR")
    event = make_event(org, name="Jakarta Dev Summit", currency="IDR")
    make_product(event, name="Conference pass", price=250000)
    make_coupon(event, code="SPEAKER", kind="percent", value=100)

    landing = page.goto(f"{live_server.url}/e/{org.slug}/{event.slug}")
    # The cached page compressed once, this visitor's tokens put in between its parts: the
    # browser reads it, and registers with those tokens below.
    assert landing.headers["content-encoding"] == "gzip"
    expect(page.locator("#checkout-total")).to_contain_text("250,000")
    page.evaluate("window.__sameDocument = true")  # lost if the page reloads

    page.get_by_label("Coupon code").fill("speaker")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#checkout-total")).to_contain_text("0")
    expect(page.locator("#checkout-total")).not_to_contain_text("250,000")
    expect(page.get_by_text("Code SPEAKER applied.")).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True

    page.locator("#buyer_name").fill("Sari Putri")
    page.locator("#buyer_email").fill("sari@example.org")
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_role("heading", name="You're registered")).to_be_visible()
    order = Order.get()
    assert order.status == "paid" and order.total == 0 and order.buyer_name == "Sari Putri"
    assert page.url.endswith(f"/o/{order.secret}")
