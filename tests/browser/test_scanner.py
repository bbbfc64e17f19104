"""The door scanner page in Chromium: a hardware scanner typing into the page, and the camera path
fed a QR code through Chromium's fake video capture."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import qrcode
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_registrant
from webapp.orders.models import Registrant

pytestmark = pytest.mark.browser


@pytest.fixture
def door_setup(live_server):
    org = make_org()
    event = make_event(org, name="Jakarta Dev Summit")
    ticket = make_product(event, name="Conference pass")
    registrant = make_registrant(event, ticket, attendees=[{"name": "Sari Putri"}])
    door_user = make_member(org, "door")
    return event, registrant, door_user


def choose_gate(page, gate: str):
    dialog = page.locator("#setup")
    dialog.wait_for(state="visible")
    page.fill("#setup-gate", gate)
    page.click("#setup-save")
    dialog.wait_for(state="hidden")


def hardware_scan(page, text: str):
    """What a USB scanner in keyboard mode does: type fast into whatever has focus, then Enter."""
    page.keyboard.type(text, delay=5)
    page.keyboard.press("Enter")


def test_typed_scan_shows_green_then_red_already_checked_in(live_server, page, live_login, door_setup):
    event, registrant, door_user = door_setup
    live_login(page, door_user)
    assert page.url.endswith("/checkin/")
    page.get_by_role("link", name="Jakarta Dev Summit").click()
    choose_gate(page, "North")

    hardware_scan(page, registrant.ticket_secret)  # the scan field has focus without a click
    answer = page.locator("#answer")
    answer.wait_for(state="visible")
    assert answer.get_attribute("data-result") == "ok"
    assert "answer-green" in answer.get_attribute("class")
    assert page.locator("#answer-name").inner_text() == "Sari Putri"
    assert "Conference pass" in page.locator("#answer-product").inner_text()
    expect(page.locator("#count-in")).to_have_text("1")

    page.click("#answer-close")
    answer.wait_for(state="hidden")
    hardware_scan(page, registrant.ticket_secret)
    expect(answer).to_have_attribute("data-reason", "already_checked_in")
    assert "answer-red" in answer.get_attribute("class")
    assert "Already checked in" in page.locator("#answer-title").inner_text()
    assert "at North" in page.locator("#answer-previous").inner_text()
    assert Registrant.get_by_id(registrant.id).checked_in_at is not None


def test_a_scan_that_starts_while_nothing_has_focus_reaches_the_scan_field_whole(
    live_server, page, live_login, door_setup
):
    """Focus gone to the page (the set-up dialog just closed, a tap on an empty spot): a hardware
    scanner's burst comes right then, and its first characters must not be lost."""
    event, registrant, door_user = door_setup
    live_login(page, door_user)
    page.goto(f"{live_server.url}/checkin/{event.id}")
    choose_gate(page, "North")
    page.evaluate("document.activeElement.blur()")
    assert page.evaluate("document.activeElement === document.body")
    hardware_scan(page, registrant.ticket_secret)
    expect(page.locator("#answer")).to_have_attribute("data-result", "ok")
    assert page.locator("#answer-name").inner_text() == "Sari Putri"


def test_gate_choice_is_kept_on_the_device(live_server, page, live_login, door_setup):
    event, registrant, door_user = door_setup
    live_login(page, door_user)
    page.goto(f"{live_server.url}/checkin/{event.id}")
    choose_gate(page, "South")
    page.reload()
    assert page.locator("#current-gate").inner_text() == "South"
    assert not page.locator("#setup").is_visible()


def test_search_and_check_in_from_the_result(live_server, page, live_login, door_setup):
    event, registrant, door_user = door_setup
    live_login(page, door_user)
    page.goto(f"{live_server.url}/checkin/{event.id}")
    choose_gate(page, "Desk")
    page.fill("#search-q", "sari")
    result = page.locator(".search-result", has_text="Sari Putri")
    result.wait_for()
    result.get_by_role("button", name="Check in").click()
    expect(page.locator("#answer")).to_have_attribute("data-result", "ok")
    assert page.locator("#answer-name").inner_text() == "Sari Putri"


def qr_video(path, text: str) -> None:
    """A short Y4M clip (what Chromium's fake capture reads) of a QR code on white."""
    width, height = 640, 480
    code = qrcode.make(text, box_size=8, border=4).convert("L")
    frame = Image.new("L", (width, height), 255)
    frame.paste(code, ((width - code.width) // 2, (height - code.height) // 2))
    y, cb, cr = frame.convert("RGB").convert("YCbCr").split()
    half = (width // 2, height // 2)
    planes = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with open(path, "wb") as fh:
        fh.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(10):
            fh.write(b"FRAME\n" + planes)


def test_camera_decodes_a_qr_code_and_checks_in(live_server, browser, live_login, door_setup, tmp_path):
    event, registrant, door_user = door_setup
    clip = tmp_path / "ticket.y4m"
    qr_video(clip, registrant.ticket_secret)
    args = CHROMIUM_ARGS + [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={clip}",
    ]
    # A Chromium of its own: the fake camera is a launch option.
    camera_browser = browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=args)
    try:
        context = camera_browser.new_context(viewport={"width": 390, "height": 844})
        context.grant_permissions(["camera"], origin=live_server.url)
        page = context.new_page()
        page.set_default_timeout(15_000)
        live_login(page, door_user)
        page.goto(f"{live_server.url}/checkin/{event.id}")
        choose_gate(page, "Camera gate")
        page.click("#camera-toggle")
        expect(page.locator("#answer")).to_have_attribute("data-result", "ok", timeout=15_000)
        assert page.locator("#answer-name").inner_text() == "Sari Putri"
        assert page.locator("#scanner").get_attribute("data-camera") in ("native", "jsqr")
    finally:
        camera_browser.close()
    assert Registrant.get_by_id(registrant.id).checked_in_at is not None


def test_the_scanner_speaks_the_devices_language(live_server, browser, live_login, door_setup):
    """A phone set to Indonesian: the page and what its script writes are in Indonesian."""
    event, registrant, door_user = door_setup
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        live_login(page, door_user)
        page.goto(f"{live_server.url}/checkin/{event.id}")
        assert page.locator("label[for=scan-input]").inner_text() == "Pindai tiket"
        choose_gate(page, "")
        assert page.locator("#current-gate").inner_text() == "tanpa gerbang"
        hardware_scan(page, registrant.ticket_secret)
        expect(page.locator("#answer-title")).to_have_text("OK · Silakan masuk")
        assert "pesanan " + registrant.order.code in page.locator("#answer-product").inner_text()
        page.click("#answer-close")
        hardware_scan(page, registrant.ticket_secret)
        expect(page.locator("#answer")).to_have_attribute("data-reason", "already_checked_in")
        assert page.locator("#answer-title").inner_text() == "Sudah check-in"
        assert page.locator("#answer-previous").inner_text().startswith("Check-in pukul ")
    finally:
        context.close()


def test_answer_times_match_the_list_in_the_events_zone_and_unpaid_shows_the_amount(live_server, browser, live_login):
    """A laptop set to another time zone: the answer's time is the event's, written like the list's."""
    org = make_org(currency="IDR")
    event = make_event(org, name="Jakarta Dev Summit", timezone="Asia/Jakarta", currency="IDR")
    ticket = make_product(event, name="Conference pass", price=150000)
    registrant = make_registrant(event, ticket, attendees=[{"name": "Sari Putri"}])
    unpaid = make_registrant(event, ticket, status="pending", attendees=[{"name": "Budi"}])
    manager = make_member(org, "manager")
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="en-US", timezone_id="America/Los_Angeles"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        live_login(page, manager)
        page.goto(f"{live_server.url}/checkin/{event.id}")
        choose_gate(page, "North")
        hardware_scan(page, registrant.ticket_secret)
        expect(page.locator("#answer")).to_have_attribute("data-result", "ok")
        page.click("#answer-close")
        hardware_scan(page, registrant.ticket_secret)
        expect(page.locator("#answer")).to_have_attribute("data-reason", "already_checked_in")
        page.click("#answer-close")
        listed = page.locator(".recent-ok .recent-time").first
        checked_in = Registrant.get_by_id(registrant.id).checked_in_at
        expected = (checked_in.replace(tzinfo=dt.UTC).astimezone(ZoneInfo("Asia/Jakarta"))).strftime("%H:%M:%S")
        expect(listed).to_have_text(expected)

        hardware_scan(page, registrant.ticket_secret)
        expect(page.locator("#answer-previous")).to_have_text(f"Checked in at {expected} at North")
        page.click("#answer-close")

        hardware_scan(page, unpaid.ticket_secret)
        expect(page.locator("#answer")).to_have_attribute("data-reason", "unpaid")
        expect(page.locator("#answer-mark-paid")).to_contain_text("collect IDR")
        expect(page.locator("#answer-mark-paid")).to_contain_text("150,000")
    finally:
        context.close()
