"""The registrant console in a real browser: filter the list, open a registrant, resend the
ticket, import a small CSV and watch the progress bar reach 100 %."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.htmx import wired
from tests.factories.accounts import make_org, make_user
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_registrant
from webapp.mail.models import Outbox
from webapp.orders.models import Registrant

pytestmark = pytest.mark.browser


def test_operator_filters_opens_resends_and_imports(live_server, page, live_login, tmp_path):
    owner = make_user(email="olivia@example.org", name="Olivia")
    org = make_org("Browser Org", owner=owner)
    event = make_event(org, name="Browser Conf")
    make_product(event, name="Regular")
    ana = make_registrant(event, buyer_name="Ana Lopez", buyer_email="ana@example.org")
    make_registrant(event, buyer_name="Budi Santoso", buyer_email="budi@example.org")
    page.set_viewport_size({"width": 1280, "height": 900})

    live_login(page, owner)
    page.goto(f"{live_server.url}/console/")
    page.get_by_role("link", name="Browser Conf").click()
    page.get_by_role("link", name="Registrants", exact=True).click()
    # The click starts the navigation; expect() waits for the new page's rows rather than
    # counting whatever the browser has parsed so far.
    expect(page.locator("#registrant-results tbody tr")).to_have_count(2)

    wired(page, "#registrant-filters")
    page.get_by_label("Search").fill("lopez")  # htmx swaps the results and keeps the URL in sync
    page.wait_for_url(re.compile(r"q=lopez"))
    page.wait_for_function("document.querySelectorAll('#registrant-results tbody tr').length === 1")
    assert "Budi" not in page.locator("#registrant-results").inner_text()

    page.get_by_role("link", name="Ana Lopez").click()
    page.wait_for_url(f"**/registrants/{ana.id}")
    page.get_by_role("button", name="Resend ticket").click()
    page.get_by_text("The ticket is on its way to Ana Lopez.").wait_for()
    assert Outbox.select().where((Outbox.registrant_id == ana.id) & (Outbox.kind == "ticket")).count() == 1

    page.get_by_role("link", name="Import CSV").click()
    csv_file = tmp_path / "people.csv"
    csv_file.write_text("Name,Email\nCitra Dewi,citra@example.org\nDimas Putra,dimas@example.org\n")
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Upload and map columns").click()
    page.get_by_text("Preview of the first rows").wait_for()
    page.get_by_role("button", name=re.compile(r"Import 2 rows")).click()
    page.locator("[data-progress='100']").wait_for()
    assert page.locator("progress").get_attribute("value") == "100"
    assert "2 added" in page.locator(".console-job-summary").inner_text().replace("\n", " ")
    assert Registrant.select().where(Registrant.email.in_(["citra@example.org", "dimas@example.org"])).count() == 2
