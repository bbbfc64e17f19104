"""The event's Team & access, Assigned customers and Payments pages and the contact's Emails tab in
Chromium: a guide's menus, a one-click invitation, and no serious accessibility violations."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.axe import serious_violations
from tests.factories.accounts import make_member, make_org, make_user
from tests.factories.contacts import make_contact
from tests.factories.events import make_event
from tests.factories.orders import make_registrant
from webapp.accounts.models import EventGrant
from webapp.mail.models import Outbox
from webapp.orders.models import EventAssignment

pytestmark = pytest.mark.browser


def test_the_new_pages_pass_axe(live_server, page, live_login):
    org = make_org()
    admin = make_member(org, "admin", make_user(name="Ari Admin"))
    event = make_event(org, name="Partner Night")
    contact = make_contact(org, email="key@example.org", name="Key Customer")
    EventAssignment.create(organization=org, event=event, contact=contact, assigned_by=admin, note="VIP")
    live_login(page, admin)
    for path in (
        f"/console/events/{event.id}/team/",
        f"/console/events/{event.id}/assigned/",
        f"/console/events/{event.id}/payments/",
        f"/console/contacts/{contact.id}/emails",
        "/console/events/?mine=1",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert serious_violations(page) == [], path


def test_an_account_manager_invites_an_assigned_contact_in_one_click(live_server, page, live_login):
    org = make_org()
    manager = make_member(org, "manager")
    event = make_event(org, name="Partner Night", invite_only=True)
    contact = make_contact(org, email="key@example.org", name="Key Customer")
    live_login(page, manager)
    page.goto(f"{live_server.url}/console/events/{event.id}/assigned/")
    page.get_by_label("Contact's email").fill("key@example.org")
    page.get_by_label("Note").fill("Renewal due")
    page.get_by_role("button", name="Assign", exact=True).click()
    row = page.get_by_role("row", name="Key Customer")
    expect(row).to_contain_text("not invited")
    row.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to key@example.org.")).to_be_visible()
    expect(page.get_by_role("row", name="Key Customer")).to_contain_text("invited")
    assert Outbox.get(Outbox.kind == "invitation").to_email == contact.email


def test_a_guide_sees_only_their_event_and_its_participants(live_server, page, live_login):
    org = make_org()
    granted, other = make_event(org, name="Open Day"), make_event(org, name="Hidden Gala")
    make_registrant(granted, buyer_name="Visible Person")
    make_registrant(other, buyer_name="Secret Person")
    guide = make_member(org, "member")
    EventGrant.create(organization=org, event_id=granted.id, user=guide, role="guide")
    live_login(page, guide)
    page.goto(f"{live_server.url}/console/")
    expect(page.get_by_role("link", name="Open Day")).to_be_visible()
    expect(page.get_by_text("Hidden Gala")).to_have_count(0)
    nav = page.get_by_role("navigation", name="Console")
    expect(nav.get_by_role("link", name="Events")).to_be_visible()
    expect(nav.get_by_role("link", name="Contacts")).to_have_count(0)
    page.get_by_role("link", name="Open Day").click()
    expect(page.get_by_text("Visible Person")).to_be_visible()
    event_nav = page.get_by_role("navigation", name="Event")
    expect(event_nav.get_by_role("link", name="Set-up")).to_have_count(0)
    assert serious_violations(page) == []
