"""Campaigns in a real browser: compose one with blocks (adding a button), choose its recipients
and watch the live count, read the live preview at desktop and phone width, save, schedule it,
cancel the schedule, send it through the loopback SMTP server and read its report; the composer
and the report pass axe with no serious violation."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.axe import serious_violations
from tests.browser.conftest import LiveServer
from tests.browser.htmx import wired
from tests.campaigns.helpers import verified_domain
from tests.conftest import make_test_app
from tests.factories.accounts import PASSWORD, make_org, make_user
from tests.factories.contacts import make_contact, make_label
from tests.smtp import free_port
from webapp.campaigns.models import Campaign
from webapp.contacts import service as contacts
from webapp.mail import tracking
from webapp.mail.models import Outbox

pytestmark = pytest.mark.browser


@pytest.fixture
def mail_server(database_url, tmp_path, smtp_server):
    """The app on a real HTTP server, sending through the loopback SMTP server."""
    port = free_port()
    app = make_test_app(
        tmp_path, database_url, ENVIRON={"BASE_URL": f"http://127.0.0.1:{port}", "SMTP_URL": smtp_server.url}
    )
    server = LiveServer(app, port)
    with app.app_context():
        yield server, smtp_server
    server.stop()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _login(page, url: str, user) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda u: "/login" not in u)


def test_operator_composes_previews_schedules_sends_and_reads_the_report(mail_server, desktop):
    server, inbox = mail_server
    owner = make_user(email="omar@example.org", name="Omar")
    org = make_org("Campaign Org", owner=owner, timezone="Asia/Jakarta")
    org.postal_address = "Jl. Sudirman 1, Jakarta"
    org.save()
    verified_domain(org, "news.example.org")
    members = make_label(org, "Members")
    for name in ("Ana Putri", "Budi Santoso", "Citra Dewi"):
        contacts.add_label(make_contact(org, name=name), members.name)
    make_contact(org, name="Not a member")
    page = desktop

    _login(page, server.url, owner)
    page.goto(f"{server.url}/console/campaigns")
    page.get_by_role("link", name="Write your first campaign").click()
    page.get_by_label("Name").fill("Doors open")
    page.get_by_role("button", name="Create the draft").click()
    page.wait_for_url("**/console/campaigns/*")

    page.get_by_label("Subject").fill("Doors open at 8, {{ contact.first_name }}")
    page.get_by_label("Sender address").fill("hello@news.example.org")
    page.locator("#b-1-text").fill("See you tonight")
    # Add a button block: the editor swaps in its new card.
    page.get_by_role("button", name="Add a button block").click()
    page.wait_for_selector("#b-4-label")
    wired(page, "#block-editor button[value='remove:4']")
    page.locator("#b-4-label").fill("Get directions")
    page.locator("#b-4-url").fill("https://maps.example.org/hall")
    # Recipients: the live count follows.
    page.get_by_role("checkbox", name="Members").first.check()
    page.wait_for_function(
        "() => document.querySelector('#audience-count [data-recipients]')?.dataset.recipients === '3'"
    )

    # The live preview shows the unsaved changes at both widths.
    page.wait_for_function(
        "() => (document.querySelector('#preview iframe[width=\"390\"]')?.getAttribute('srcdoc') || '').includes('Get directions')"
    )
    assert page.locator("#preview iframe[width='640']").count() == 1
    phone = page.frame_locator("#preview iframe[width='390']")
    phone.get_by_text("See you tonight").wait_for(state="visible")
    assert phone.get_by_role("link", name="Get directions").get_attribute("href") == "https://maps.example.org/hall"
    assert "Doors open at 8, Ana" in page.locator("[data-preview-subject]").inner_text()
    assert serious_violations(page) == []

    page.get_by_role("button", name="Save the draft").click()
    page.wait_for_selector("text=Campaign saved.")
    campaign = Campaign.get(Campaign.name == "Doors open")
    assert [b["type"] for b in campaign.body_blocks] == ["heading", "text", "footer", "button"]
    assert campaign.audience["include_labels"] == [members.id]
    assert page.locator(".launch-problems").count() == 0

    # Schedule it for tomorrow evening (organization time), then cancel the schedule.
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).astimezone(dt.timezone(dt.timedelta(hours=7)))
    page.locator("#send_at").fill(tomorrow.strftime("%Y-%m-%dT19:00"))
    page.get_by_role("button", name="Schedule", exact=True).click()
    page.wait_for_url("**/report")
    assert page.locator("[data-state]").first.get_attribute("data-state") == "scheduled"
    assert Campaign.get_by_id(campaign.id).send_at.hour == 12  # 19:00 in Jakarta
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel the schedule").click()
    page.wait_for_url(f"**/console/campaigns/{campaign.id}")

    # Send it now: three messages reach the SMTP server.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Send now").click()
    page.wait_for_url("**/report")
    assert len(inbox.wait_for(3)) == 3
    assert Campaign.get_by_id(campaign.id).state == "sent"

    # A person opens one (a while after delivery) and the report counts it.
    row = Outbox.select().where(Outbox.send_key == campaign.send_key).order_by(Outbox.id).first()
    Outbox.update(sent_at=row.sent_at - dt.timedelta(hours=1)).where(Outbox.send_key == campaign.send_key).execute()
    tracking.record_open(tracking.open_url(row.id).rsplit("/", 1)[1], user_agent="Mozilla/5.0 (Macintosh) Mail")
    page.reload()
    figures = page.locator("#campaign-figures")
    assert "Delivered" in figures.inner_text() and "33.3 %" in figures.inner_text()
    page.get_by_role("heading", name="Opens by hour of day (Asia/Jakarta)").wait_for(state="visible")
    assert serious_violations(page) == []
