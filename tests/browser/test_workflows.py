"""The workflow editor in a real browser: choose the trigger, add steps, move and remove one
(htmx swaps the editor), save, activate, and see a contact's run; the pages pass axe with no
serious violation."""

from __future__ import annotations

import pytest

from tests.browser.axe import serious_violations
from tests.browser.htmx import wired
from tests.factories.accounts import make_org, make_user
from tests.factories.contacts import make_contact, make_label
from webapp.contacts import service as contacts
from webapp.workflows import triggers
from webapp.workflows.models import Workflow

pytestmark = pytest.mark.browser


def _steps(page) -> list[str]:
    return page.locator(".workflow-steps .step-head strong").all_inner_texts()


def test_operator_builds_a_workflow_activates_it_and_sees_a_run(live_server, page, live_login):
    owner = make_user(email="wulan@example.org", name="Wulan")
    org = make_org("Workflows Org", owner=owner)
    trial = make_label(org, "Trial")
    make_label(org, "Nudged")

    live_login(page, owner)
    page.goto(f"{live_server.url}/console/workflows")
    assert serious_violations(page) == []
    page.get_by_role("link", name="Create your first workflow").click()
    page.get_by_label("Name").fill("Trial nudge")
    page.locator("#trigger-label_id").select_option(str(trial.id))

    page.get_by_role("button", name="Add a label").click()
    page.locator("#step-0-label_id").wait_for()
    wired(page, ".add-step button")
    page.get_by_role("button", name="Wait", exact=True).click()
    page.locator("#step-1-amount").wait_for()
    assert _steps(page) == ["1. Add a label", "2. Wait"]
    wired(page, "[aria-label='Move step 2 up']")
    page.get_by_role("button", name="Move step 2 up").click()
    page.wait_for_function(
        "() => document.querySelector('.workflow-steps .step-head strong')?.textContent === '1. Wait'"
    )
    page.locator("#step-0-amount").fill("2")
    page.locator("#step-1-label_id").select_option(label="Nudged")
    assert page.get_by_label("Name").input_value() == "Trial nudge"  # the swap kept what was typed
    assert serious_violations(page) == []

    page.get_by_role("button", name="Save workflow").last.click()
    page.get_by_role("heading", name="Trial nudge").wait_for()
    workflow = Workflow.get(Workflow.name == "Trial nudge")
    assert [s["kind"] for s in workflow.steps] == ["wait", "add_label"]
    assert workflow.steps[0]["amount"] == 2 and workflow.state == "draft"

    page.get_by_role("button", name="Activate").click()
    page.get_by_text("Workflow active").wait_for()
    triggers.forget_cache()
    contacts.add_label(make_contact(org, "ana@example.org", name="Ana Putri"), "Trial")
    page.reload()
    assert page.locator(".workflow-runs").get_by_text("Ana Putri").is_visible()
    assert page.locator(".workflow-runs").get_by_text("Waiting", exact=True).is_visible()
    assert serious_violations(page) == []
