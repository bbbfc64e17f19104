"""The offline door in Chromium: two scanner devices lose the network, both admit the same ticket
from their own copy of the list, come back, and the server keeps one admission and puts the other
in the supervisor's review list; a signed ticket sold after the last update is admitted offline."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_scanner import choose_gate, hardware_scan
from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_registrant
from webapp.checkin.models import AdmissionReview, Attendance, Checkin
from webapp.events.models import Event
from webapp.orders import signed_secrets
from webapp.orders.service import add_participants

pytestmark = pytest.mark.browser


@pytest.fixture
def door_setup(live_server):
    org = make_org()
    event = make_event(org, name="Bandung Music Night")
    ticket = make_product(event, name="Floor ticket")
    registrant = make_registrant(event, ticket, attendees=[{"name": "Rina Wijaya"}])
    return org, event, ticket, registrant


def open_device(browser, live_server, live_login, user, event, gate):
    """A door device of its own (its own storage, network and service worker): signed in, on the
    scanner, with a gate chosen and its copy of the list downloaded."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    live_login(page, user)
    page.goto(f"{live_server.url}/checkin/{event.id}")
    choose_gate(page, gate)
    expect(page.locator("#scanner")).to_have_attribute("data-copy", "1")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    return context, page


def scan_and_answer(page, text, shown=None):
    """Scan, read the full-screen answer (result, reason, whether it came from the device's copy),
    close it. `shown` collects the product line."""
    answer = page.locator("#answer")
    hardware_scan(page, text)
    answer.wait_for(state="visible")
    result = (
        answer.get_attribute("data-result"),
        answer.get_attribute("data-reason"),
        answer.get_attribute("data-offline"),
    )
    if shown is not None:
        shown.append(page.locator("#answer-product").inner_text())
    page.click("#answer-close")
    answer.wait_for(state="hidden")
    return result


def test_two_devices_offline_admit_one_ticket_once_and_the_other_is_reviewed(
    browser, live_server, live_login, door_setup
):
    org, event, ticket, registrant = door_setup
    context_a, north = open_device(browser, live_server, live_login, make_member(org, "door"), event, "North")
    context_b, south = open_device(browser, live_server, live_login, make_member(org, "door"), event, "South")
    try:
        context_a.set_offline(True)
        context_b.set_offline(True)
        # The shell opens without the network too (service worker) and still answers from its copy.
        north.reload()
        expect(north.locator("#offline-banner")).to_be_visible()

        assert scan_and_answer(north, registrant.ticket_secret) == ("ok", "", "1")
        assert scan_and_answer(south, registrant.ticket_secret) == ("ok", "", "1")
        assert scan_and_answer(north, registrant.ticket_secret) == ("error", "already_checked_in", "1")
        assert scan_and_answer(south, "NOTATICKET") == ("error", "invalid", "1")
        expect(north.locator("#offline-queued")).to_have_attribute("data-count", "2")
        expect(south.locator("#offline-queued")).to_have_attribute("data-count", "2")
        assert not Checkin.select().exists()  # nothing reached the server

        context_a.set_offline(False)
        expect(north.locator("#offline-queued")).to_have_attribute("data-count", "0")
        context_b.set_offline(False)
        expect(south.locator("#offline-queued")).to_have_attribute("data-count", "0")
        expect(south.locator("#offline-banner")).to_be_hidden()

        assert Attendance.get(Attendance.registrant == registrant.id).entries == 1
        review = AdmissionReview.get()
        assert review.registrant_id == registrant.id and review.reason == "already_checked_in"
        # The device that lost catches up: its copy now says the ticket is in.
        assert scan_and_answer(south, registrant.ticket_secret)[:2] == ("error", "already_checked_in")
    finally:
        context_a.close()
        context_b.close()

    supervisor = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-US")
    page = supervisor.new_page()
    try:
        live_login(page, make_member(org, "manager"))
        page.goto(f"{live_server.url}/console/events/{event.id}/checkin/offline")
        entry = page.locator(f"#review-{review.id}")
        expect(entry).to_contain_text("Rina Wijaya")
        expect(entry).to_contain_text("Admitted twice")
        entry.get_by_label("What was found or done").fill("Same person, phone battery died")
        entry.get_by_role("button", name="Resolve").click()
        expect(page.locator(f"#review-{review.id}")).to_contain_text("phone battery died")
        assert AdmissionReview.get_by_id(review.id).resolved_at is not None
    finally:
        supervisor.close()


def test_signed_ticket_sold_after_the_last_update_is_admitted_offline(browser, live_server, live_login, door_setup):
    org, event, ticket, _registrant = door_setup
    signed_secrets.set_signed_tickets(event, True, actor=None)
    context, page = open_device(browser, live_server, live_login, make_member(org, "door"), event, "Main")
    try:
        context.set_offline(True)
        order = add_participants(
            Event.get_by_id(event.id), ticket, [{"name": "Late Buyer", "email": "late@example.org"}],
            source="console", paid=True, send_ticket=False, actor=None,
        )  # fmt: skip
        secret = order.registrants.get().ticket_secret
        assert len(secret) == signed_secrets.SIGNED_LENGTH

        shown = []
        assert scan_and_answer(page, secret, shown) == ("ok", "", "1")
        assert shown == ["Floor ticket"]  # the product its signature names
        forged = secret[:30] + ("B" if secret[30] != "B" else "C") + secret[31:]
        assert scan_and_answer(page, forged) == ("error", "invalid", "1")
        assert scan_and_answer(page, secret)[:2] == ("error", "already_checked_in")

        context.set_offline(False)
        expect(page.locator("#offline-queued")).to_have_attribute("data-count", "0")
        admitted = Checkin.get((Checkin.result == "ok") & (Checkin.registrant == order.registrants.get().id))
        assert admitted.data["offline"]["verdict"] == "ok"
        assert not AdmissionReview.select().exists()
    finally:
        context.close()
