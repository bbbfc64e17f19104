"""Menus, buttons and routes follow the member's role; door staff land on the scanner."""

from __future__ import annotations

from tests.factories.orders import make_registrant


def test_door_staff_land_on_the_scanner_and_cannot_open_console_pages(desk, member_client):
    door = member_client(desk.org, "door")
    response = door.get("/console/")
    assert response.status_code == 302 and "/checkin" in response.headers["Location"]
    r = make_registrant(desk.event)
    assert door.get(f"/console/events/{desk.event.id}/registrants").status_code == 403
    assert door.get(f"/console/events/{desk.event.id}/registrants/{r.id}").status_code == 403
    assert door.get(f"/console/events/{desk.event.id}/exports/registrants.csv").status_code == 403
    assert door.post(f"/console/events/{desk.event.id}/registrants/{r.id}/cancel").status_code == 403
    assert door.get("/console/mail").status_code == 403


def test_managers_work_with_registrants_but_do_not_see_the_audit_trail(desk, member_client):
    manager = member_client(desk.org, "manager")
    page = manager.get("/console/mail").text
    assert "Audit trail" not in page
    assert manager.get("/console/audit").status_code == 403
    assert manager.get(f"/console/events/{desk.event.id}/registrants").status_code == 200


def test_admins_see_the_audit_trail_in_the_menu(desk, member_client):
    admin = member_client(desk.org, "admin")
    page = admin.get("/console/mail").text
    assert 'href="/console/audit"' in page
    assert admin.get("/console/audit").status_code == 200


def test_a_member_of_another_organization_sees_nothing_of_this_one(desk, member_client):
    from tests.factories.accounts import make_org

    stranger = member_client(make_org(), "owner")
    assert stranger.get(f"/console/events/{desk.event.id}/overview").status_code == 404
    assert stranger.get(f"/console/events/{desk.event.id}/registrants").status_code == 404
