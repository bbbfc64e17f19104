"""Browser tests: the app served by a real HTTP server in a thread, driven by the machine's
Chromium through Playwright (never a downloaded browser).

Fixtures: `live_server` (an object with .url and .app, serving this test's database; Huey runs
in immediate mode inside the server), `browser` (one Chromium per test session), `page` (a fresh
context and page per test), `login(page, user)` helper via `live_login`.
"""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import make_test_app
from tests.factories.accounts import PASSWORD
from tests.smtp import free_port

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
                item.add_marker(pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM}"))


class LiveServer:
    """The app on a real HTTP server (werkzeug, threaded) in a background thread."""

    def __init__(self, app, port: int):
        self.app = app
        self.url = f"http://127.0.0.1:{port}"
        self._server = make_server("127.0.0.1", port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._thread.join(timeout=5)


@pytest.fixture
def live_server(database_url, tmp_path):
    port = free_port()
    # The pages run on the server's own origin, so BASE_URL is that origin.
    app = make_test_app(tmp_path, database_url, ENVIRON={"BASE_URL": f"http://127.0.0.1:{port}"})
    server = LiveServer(app, port)
    with app.app_context():
        yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def live_login(live_server):
    """live_login(page, user): sign in through the real form."""

    def login(page, user, password: str = PASSWORD):
        page.goto(f"{live_server.url}/login")
        # By the fields' names: their labels are in the browser's language.
        page.locator("input[name=email]").fill(user.email)
        page.locator("input[name=password]").fill(password)
        page.locator("form button[type=submit], form button:not([type])").last.click()
        page.wait_for_url(lambda url: "/login" not in url)

    return login
