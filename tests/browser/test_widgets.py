"""The registration widget in Chromium, on another site: a host page served by a second local
server (another host name and port) with a strict CSP, third-party cookies blocked. The widget
loads, sizes itself, registers a free ticket and shows the confirmation; the registrant exists.
A site that is not on the allow-list gets no widget."""

from __future__ import annotations

import http.server
import threading

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.payments import configure_gateway
from tests.widgets.helpers import widget_event
from webapp.events.models import Event
from webapp.orders.models import Order, Registrant
from webapp.widgets import service
from webapp.widgets.views_console import snippets

pytestmark = pytest.mark.browser


class HostSite:
    """The organization's own website: one page holding the snippet, with a strict CSP that lets
    in only scripts and frames of our origin (docs/widgets.md)."""

    def __init__(self, snippet: str, widget_origin: str):
        page = f"<!doctype html><html><head><title>Host</title></head><body><h1>Our site</h1>{snippet}</body></html>"
        policy = (
            f"default-src 'none'; script-src {widget_origin}; frame-src {widget_origin}; "
            "style-src 'none'; base-uri 'none'; form-action 'none'"
        )

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = page.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Security-Policy", policy)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture
def strict_browser(browser):
    """Chromium told to block third-party cookies (a second browser of the session's Playwright:
    one Playwright runs per process)."""
    strict = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, "--test-third-party-cookie-phaseout"]
    )
    context = strict.new_context(viewport={"width": 1024, "height": 800}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    strict.close()


def _host(live_server, event):
    with live_server.app.test_request_context():
        snippet = snippets(event)["register"]["script"]
    return HostSite(snippet, live_server.url)


def test_a_visitor_registers_through_the_widget_on_another_site(live_server, strict_browser):
    page = strict_browser
    org, event = widget_event(origins=(), name="Jakarta Dev Summit")
    make_product(event, name="Community pass", price=0)
    host = _host(live_server, event)
    try:
        site = f"http://localhost:{host.port}"  # another site than 127.0.0.1: the frame is third-party
        service.save_origins(org, site, actor=None)
        blocked = []
        page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)

        page.goto(site + "/")
        frame = page.frame_locator("iframe")
        expect(frame.get_by_role("heading", name="Jakarta Dev Summit")).to_be_visible()
        # The frame told the host page its height: no longer the snippet's first guess.
        page.wait_for_function("document.querySelector('iframe').style.height !== '900px'")
        # Third-party cookies are blocked in this frame: the widget must do without them.
        inner = next(f for f in page.frames if f.url.startswith(live_server.url))
        assert inner.evaluate("document.cookie = 'probe=1; SameSite=None; Secure'; document.cookie") == ""

        frame.locator("#buyer_name").fill("Sari Putri")
        frame.locator("#buyer_email").fill("sari@example.org")
        frame.get_by_role("button", name="Register").click()

        expect(frame.get_by_role("heading", name="You're registered")).to_be_visible()
        expect(frame.get_by_text("Sari Putri")).to_be_visible()
        registrant = Registrant.get()
        assert (registrant.name, registrant.email, registrant.event_id) == ("Sari Putri", "sari@example.org", event.id)
        assert page.url == site + "/"  # the visitor never left the host page
        assert blocked == []  # the loader needs nothing the host's CSP refuses
    finally:
        host.stop()


def test_a_site_not_on_the_allow_list_gets_no_widget(live_server, strict_browser):
    page = strict_browser
    org, event = widget_event(origins=("https://www.example.org",))
    make_product(event, price=0)
    make_event(org)
    host = _host(live_server, event)
    try:
        answers = []
        page.on("response", lambda r: answers.append(r) if "/widget/" in r.url else None)
        page.goto(f"http://localhost:{host.port}/")
        page.wait_for_function("document.querySelector('iframe') !== null")
        page.wait_for_load_state("load")
        assert answers and "frame-ancestors https://www.example.org" in answers[0].headers["content-security-policy"]
        frame = next(f for f in page.frames if f != page.main_frame)
        assert frame.locator("#checkout-form").count() == 0  # the browser refused to show it
        assert Registrant.select().count() == 0
    finally:
        host.stop()


def test_a_widget_of_an_event_taken_down_shows_its_message_inside_the_frame(live_server, strict_browser):
    page = strict_browser
    org, event = widget_event(origins=(), name="Old Summit")
    make_product(event, price=0)
    host = _host(live_server, event)
    try:
        site = f"http://localhost:{host.port}"
        service.save_origins(org, site, actor=None)
        Event.update(status="draft").where(Event.id == event.id).execute()  # the snippet stays on the site

        page.goto(site + "/")
        frame = page.frame_locator("iframe")
        expect(frame.get_by_role("heading", name="This form is not available")).to_be_visible()
        # The message sizes the frame like the form did.
        page.wait_for_function("document.querySelector('iframe').style.height !== '900px'")
    finally:
        host.stop()


def test_a_paid_ticket_is_paid_in_a_new_tab_and_the_widget_shows_the_outcome(live_server, strict_browser):
    page = strict_browser
    org, event = widget_event(origins=(), name="Paid Summit")
    configure_gateway(org, "test")
    make_product(event, name="Conference pass", price=150000)
    host = _host(live_server, event)
    try:
        site = f"http://localhost:{host.port}"
        service.save_origins(org, site, actor=None)
        page.goto(site + "/")
        frame = page.frame_locator("iframe")
        frame.locator("#buyer_name").fill("Budi Santoso")
        frame.locator("#buyer_email").fill("budi@example.org")
        frame.get_by_label("Test payment (simulated, no money moves)").check()
        frame.get_by_role("button", name="Register").click()
        expect(frame.get_by_role("heading", name="Payment pending")).to_be_visible()

        with page.expect_popup() as opened:  # gateways refuse frames: a tab of its own
            frame.get_by_role("button", name="Pay now").click()
        gateway = opened.value
        gateway.get_by_role("button", name="Pay").first.click()
        expect(gateway.get_by_role("heading", name="You're registered")).to_be_visible()
        gateway.close()

        expect(frame.get_by_role("heading", name="You're registered")).to_be_visible()  # back on the host page
        assert Order.get().status == "paid"
        assert page.url == site + "/"
    finally:
        host.stop()
