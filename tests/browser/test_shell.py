"""The console shell in a real browser: sign in, navigate, the htmx CSRF header in use."""

from __future__ import annotations

from tests.factories.accounts import make_member, make_org, make_user


def test_operator_signs_in_and_switches_organization(live_server, page, live_login):
    user = make_user(email="ana@example.org", name="Ana")
    make_org("First Org", owner=user)
    second = make_org("Second Org")
    make_member(second, role="admin", user=user)

    live_login(page, user)
    assert "/console/" in page.url
    switcher = page.get_by_label("Organization")
    assert switcher.input_value() != str(second.id)
    switcher.select_option(str(second.id))  # submits itself (static/js/app.js), with the CSRF token
    page.wait_for_load_state("networkidle")
    assert page.get_by_label("Organization").input_value() == str(second.id)
    page.get_by_role("link", name="Members").click()
    page.wait_for_url("**/console/members")
    assert page.get_by_role("heading", name="Members").is_visible()


def test_door_staff_are_refused_the_console(live_server, page, live_login):
    org = make_org()
    door = make_member(org, role="door")
    live_login(page, door)
    response = page.goto(f"{live_server.url}/console/members")
    assert response.status == 403
    assert page.get_by_role("heading", name="Not allowed").is_visible()
