"""A project's page on a phone: the combined figures (one line per currency) and its tabs; a
read-only member sees no forms."""

from __future__ import annotations

from tests.browser.axe import serious_violations
from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_order
from webapp.projects import service


def test_a_manager_reads_the_project_figures_on_a_phone(live_server, live_login, page):
    org = make_org(name="Kopi Events")
    manager = make_member(org, "manager")
    jakarta = make_event(org, name="Day one Jakarta", currency="IDR")
    online = make_event(org, name="Day two online", currency="USD")
    make_order(jakarta, {make_product(jakarta, price=150_000, currency="IDR"): 2})
    make_order(online, {make_product(online, price=2_500, currency="USD"): 1})
    project = service.create(org.id, "Summit 2027", "Two days", actor=manager)
    service.link_event(project, jakarta.id, actor=manager)
    service.link_event(project, online.id, actor=manager)
    service.add_milestone(project, "Venue booked", "2027-01-15", actor=manager)

    live_login(page, manager)
    page.goto(f"{live_server.url}/console/projects/{project.id}")
    assert page.locator("#project-registered").inner_text() == "3"
    lines = page.locator("#project-revenue .stat-line").all_inner_texts()
    assert lines == ["IDR300,000", "$25.00"]
    assert serious_violations(page) == []
    page.get_by_role("link", name="Milestones").click()
    page.wait_for_url(f"**/console/projects/{project.id}/milestones")
    assert page.get_by_text("Venue booked").is_visible()
    page.get_by_label("Title").fill("Speakers confirmed")
    page.get_by_label("Date").fill("2027-02-01")
    page.get_by_role("button", name="Add").click()
    page.wait_for_selector("text=Milestone added.")
    assert page.get_by_text("Speakers confirmed").is_visible()
    assert serious_violations(page) == []
    page.goto(f"{live_server.url}/console/projects/")
    assert serious_violations(page) == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1  # nothing wider than the phone


def test_an_unrelated_member_is_refused(live_server, live_login, page):
    org = make_org()
    project = service.create(org.id, "Summit 2027", actor=None)
    service.link_event(project, make_event(org).id, actor=None)
    member = make_member(org, "member")
    live_login(page, member)
    response = page.goto(f"{live_server.url}/console/projects/{project.id}")
    assert response.status == 403
