"""The Contact Book in a real browser: search as you type, inline labels and stage on a contact's
page, and a CSV import whose progress bar reaches 100 %."""

from __future__ import annotations

import re

import pytest

from tests.browser.htmx import wired
from tests.factories.accounts import make_org, make_user
from tests.factories.contacts import make_contact
from webapp.contacts import service
from webapp.contacts.models import Contact

pytestmark = pytest.mark.browser


def test_operator_searches_labels_and_imports_contacts(live_server, page, live_login, tmp_path):
    owner = make_user(email="omar@example.org", name="Omar")
    org = make_org("Contacts Org", owner=owner)
    ana = make_contact(org, "ana@example.org", name="Ana Lopez")
    make_contact(org, "budi@example.org", name="Budi Santoso")
    page.set_viewport_size({"width": 1280, "height": 900})

    live_login(page, owner)
    page.goto(f"{live_server.url}/console/contacts")
    assert page.locator("#contact-results tbody tr").count() == 2
    wired(page, "#q")
    page.get_by_label("Search").fill("lopez")  # htmx swaps the results and keeps the URL in sync
    page.wait_for_url(re.compile(r"q=lopez"))
    page.wait_for_function("document.querySelectorAll('#contact-results tbody tr').length === 1")

    page.get_by_role("link", name="Ana Lopez").click()
    page.wait_for_url(f"**/console/contacts/{ana.id}")
    page.get_by_label("Add a label").fill("Speaker")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_role("button", name="Remove label Speaker").wait_for()  # swapped in place
    assert [label.name for label in service.labels_of(ana)] == ["Speaker"]
    page.get_by_label("Stage", exact=True).select_option("promoter")
    page.get_by_role("button", name="Set stage").click()
    page.get_by_text("Set by a person.").wait_for()
    assert Contact.get_by_id(ana.id).stage == "promoter"

    page.goto(f"{live_server.url}/console/contacts/import")
    csv_file = tmp_path / "people.csv"
    csv_file.write_text("Email,Name\ncitra@example.org,Citra Dewi\nnot-an-email,Nobody\n")
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Upload").click()
    page.get_by_role("button", name=re.compile(r"Import 2 rows")).click()
    page.locator('.console-progress[data-state="done"]').wait_for()
    assert page.locator("progress").get_attribute("value") == "100"
    assert "not an email address" in page.locator(".console-progress").inner_text()
    assert Contact.select().where(Contact.email == "citra@example.org").exists()
