"""The door surface: scanner page, JSON endpoint, role limits, search, walk-ins."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_registrant
from webapp.accounts.models import ApiKey
from webapp.checkin.lists import default_list
from webapp.checkin.models import Checkin
from webapp.orders.models import Order, Registrant


def with_csrf_header(client):
    """Send the session's CSRF token on every request, as the scanner script does."""
    page = client.get("/checkin/").get_data(as_text=True)
    client.environ_base["HTTP_X_CSRFTOKEN"] = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    return client


@pytest.fixture
def door(auth, org, door_user):
    return with_csrf_header(auth.client_for(door_user, org))


@pytest.fixture
def boss(auth, org, supervisor):
    return with_csrf_header(auth.client_for(supervisor, org))


def api_key(org, read_only=False) -> str:
    token = f"rk_test_{org.id}_{'ro' if read_only else 'rw'}"
    ApiKey.create(
        organization=org,
        name="gate app",
        prefix=token[:8],
        key_hash=hashlib.sha256(token.encode()).hexdigest(),
        read_only=read_only,
    )
    return token


def scan(client, event, secret, **fields):
    return client.post(f"/api/v1/events/{event.id}/checkins", json={"secret": secret, **fields})


def test_door_staff_land_on_the_event_picker_and_open_the_scanner(door, event):
    assert door.get("/").headers["Location"].endswith("/checkin/")
    picker = door.get("/checkin/")
    assert event.name in picker.get_data(as_text=True)
    page = door.get(f"/checkin/{event.id}").get_data(as_text=True)
    assert 'id="scan-input"' in page and "/static/js/scanner." in page and "/jsQR." in page
    assert "<script>" not in page  # CSP: no inline scripts


def test_door_staff_cannot_open_the_check_in_console(door, event):
    assert door.get(f"/console/events/{event.id}/checkin/").status_code == 403


def test_scan_through_the_endpoint_answers_and_names_the_registrant(door, event, ticket):
    registrant = make_registrant(event, ticket, attendees=[{"name": "Dewi Lestari"}])
    first = scan(door, event, registrant.ticket_secret, gate="North", nonce="abc")
    assert first.status_code == 200
    assert first.json["result"] == "ok" and first.json["colour"] == "green"
    assert first.json["registrant"]["name"] == "Dewi Lestari"
    second = scan(door, event, registrant.ticket_secret, gate="South")
    assert (second.json["result"], second.json["reason"]) == ("error", "already_checked_in")
    assert second.json["previous"]["gate"] == "North"
    replay = scan(door, event, registrant.ticket_secret, gate="North", nonce="abc")
    assert replay.json["result"] == "ok" and replay.json["replayed"] is True


def test_scan_of_another_events_ticket_does_not_name_its_holder(door, org, event, ticket):
    other = make_event(org)
    registrant = make_registrant(other, make_product(other), attendees=[{"name": "Secret Holder"}])
    answer = scan(door, event, registrant.ticket_secret)
    assert answer.json["reason"] == "wrong_event"
    assert answer.json["registrant"] is None
    assert "Secret Holder" not in answer.get_data(as_text=True)


def test_scan_request_with_bad_fields_is_422(door, event):
    answer = door.post(f"/api/v1/events/{event.id}/checkins", json={"secret": 5, "colour": "x"})
    assert answer.status_code == 422
    assert set(answer.json["error"]["fields"]) == {"secret", "colour"}


def test_event_of_another_organization_is_404(door, ticket):
    stranger = make_event(make_org())
    assert scan(door, stranger, "ANYTHING").status_code == 404
    assert door.get(f"/checkin/{stranger.id}").status_code == 404


def test_list_of_another_event_is_404(door, org, event, ticket):
    other_list = default_list(make_event(org))
    assert scan(door, event, make_registrant(event, ticket).ticket_secret, list=other_list.id).status_code == 404


def test_door_staff_cannot_force_undo_others_or_mark_paid(door, boss, event, ticket):
    unpaid = make_registrant(event, ticket, status="pending")
    forced = scan(door, event, unpaid.ticket_secret, force_reason="friend of the speaker")
    assert forced.status_code == 403
    assert door.post(f"/checkin/{event.id}/registrants/{unpaid.id}/mark-paid").status_code == 403
    assert Order.get_by_id(unpaid.order_id).status == "pending"

    by_boss = scan(boss, event, make_registrant(event, ticket).ticket_secret).json
    undo_url = f"/api/v1/events/{event.id}/checkins/{by_boss['checkin']['id']}/undo"
    assert door.post(undo_url).status_code == 403

    own = scan(door, event, make_registrant(event, ticket).ticket_secret).json
    assert door.post(f"/api/v1/events/{event.id}/checkins/{own['checkin']['id']}/undo").status_code == 200
    assert boss.post(undo_url).status_code == 200


def test_supervisor_forces_with_a_reason_and_takes_payment_at_the_door(boss, event):
    priced = make_product(event, name="Day pass", price=150000)
    unpaid = make_registrant(event, priced, status="pending")
    assert scan(boss, event, unpaid.ticket_secret).json["reason"] == "unpaid"
    paid = boss.post(f"/checkin/{event.id}/registrants/{unpaid.id}/mark-paid")
    assert paid.status_code == 200 and paid.json["status"] == "paid"
    assert Order.get_by_id(unpaid.order_id).gateway == "door"
    assert scan(boss, event, unpaid.ticket_secret).json["result"] == "ok"

    canceled = make_registrant(event, priced, status="canceled")
    forced = scan(boss, event, canceled.ticket_secret, force_reason="Re-issued at the desk").json
    assert forced["result"] == "ok" and forced["checkin"]["forced"] is True


def test_api_key_scans_and_read_only_key_cannot(client, org, event, ticket):
    registrant = make_registrant(event, ticket)
    headers = {"Authorization": f"Bearer {api_key(org)}"}
    answer = client.post(
        f"/api/v1/events/{event.id}/checkins", json={"secret": registrant.ticket_secret}, headers=headers
    )
    assert answer.json["result"] == "ok"
    assert Checkin.get_by_id(answer.json["checkin"]["id"]).user_id is None
    read_only = {"Authorization": f"Bearer {api_key(org, read_only=True)}"}
    refused = client.post(f"/api/v1/events/{event.id}/checkins", json={"secret": "X"}, headers=read_only)
    assert refused.status_code == 403
    numbers = client.get(f"/api/v1/events/{event.id}/checkins/stats", headers=read_only)
    assert numbers.json["checked_in"] == 1 and numbers.json["expected"] == 1
    assert client.post(f"/api/v1/events/{event.id}/checkins", json={"secret": "X"}).status_code == 401


def test_session_scan_needs_the_csrf_header(csrf_app, org, event, ticket, door_user):
    client = csrf_app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf-token" content="([^"]+)"', login_page
    )
    client.post(
        "/login",
        data={
            "email": door_user.email,
            "password": "correct horse battery",
            "csrf_token": token.group(1) or token.group(2),
        },
    )
    page = client.get(f"/checkin/{event.id}").get_data(as_text=True)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    secret = make_registrant(event, ticket).ticket_secret
    url = f"/api/v1/events/{event.id}/checkins"
    assert client.post(url, json={"secret": secret}).status_code == 400
    assert client.post(url, json={"secret": secret}, headers={"X-CSRFToken": csrf}).json["result"] == "ok"


def test_search_finds_by_name_email_and_order_code(door, event, ticket):
    ana = make_registrant(event, ticket, attendees=[{"name": "Ana Wijaya", "email": "ana@example.org"}])
    make_registrant(event, ticket, attendees=[{"name": "Budi Santoso", "email": "budi@example.org"}])
    htmx = {"HX-Request": "true"}
    by_name = door.get(f"/checkin/{event.id}/search?q=wija", headers=htmx).get_data(as_text=True)
    assert "Ana Wijaya" in by_name and "Budi" not in by_name and "<html" not in by_name
    assert "Budi Santoso" in door.get(f"/checkin/{event.id}/search?q=budi@ex", headers=htmx).get_data(as_text=True)
    by_code = door.get(f"/checkin/{event.id}/search?q={ana.order.code.lower()}", headers=htmx).get_data(as_text=True)
    assert "Ana Wijaya" in by_code and ana.ticket_secret in by_code
    full = door.get(f"/checkin/{event.id}/search?q=wija").get_data(as_text=True)
    assert "<html" in full and "Ana Wijaya" in full


def test_recent_scans_show_failed_attempts_too(door, event, ticket):
    scan(door, event, "NOTATICKET")
    recent = door.get(f"/checkin/{event.id}/recent", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Unknown ticket" in recent


def test_walk_in_registers_and_checks_in_at_once(door, event, ticket):
    answer = door.post(
        f"/checkin/{event.id}/walk-in",
        data={
            "name": "Walk In",
            "email": "walkin@example.org",
            "product": ticket.id,
            "send_ticket": "",
            "gate": "Desk",
        },
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    registrant = Registrant.get(Registrant.email == "walkin@example.org")
    assert registrant.checked_in_at is not None and registrant.order.source == "door"
    assert "checked in" in answer.get_data(as_text=True)
    assert Checkin.get(Checkin.registrant == registrant.id).gate == "Desk"


def test_walk_in_for_a_priced_ticket_needs_payment_and_a_supervisor(door, boss, event, org):
    priced = make_product(event, name="Door ticket", price=100000)
    data = {"name": "Cash Payer", "email": "cash@example.org", "product": priced.id}
    unpaid = door.post(f"/checkin/{event.id}/walk-in", data=data, headers={"HX-Request": "true"})
    assert unpaid.status_code == 422 and "take payment" in unpaid.get_data(as_text=True)
    assert "<html" not in unpaid.get_data(as_text=True)
    by_door = door.post(f"/checkin/{event.id}/walk-in", data={**data, "paid": "y"})
    assert by_door.status_code == 422
    assert not Registrant.select().where(Registrant.email == "cash@example.org").exists()
    by_boss = boss.post(f"/checkin/{event.id}/walk-in", data={**data, "paid": "y"})
    assert by_boss.status_code == 303  # without htmx: back to the scanner page
    assert Registrant.get(Registrant.email == "cash@example.org").order.status == "paid"


def test_manager_of_another_org_cannot_scan_here(auth, event, ticket):
    outsider_org = make_org()
    outsider = make_member(outsider_org, "manager")
    client = with_csrf_header(auth.client_for(outsider, outsider_org))
    assert scan(client, event, make_registrant(event, ticket).ticket_secret).status_code == 404


def test_walk_in_without_htmx_shows_the_whole_page_with_the_error(door, event, ticket):
    answer = door.post(
        f"/checkin/{event.id}/walk-in", data={"name": "", "email": "x@example.org", "product": ticket.id}
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "<html" in page and 'id="scan-input"' in page
    assert "This field is required" in page


def test_exit_scans_and_lists_through_the_endpoint(door, event, ticket):
    from tests.factories.checkin import make_checkin_list

    hall = make_checkin_list(event, name="Main hall", allow_exit=True)
    registrant = make_registrant(event, ticket)
    listed = door.get(f"/api/v1/events/{event.id}/checkin-lists").json["items"]
    assert {item["name"] for item in listed} == {"Entrance", "Main hall"}
    assert scan(door, event, registrant.ticket_secret, list=hall.id).json["result"] == "ok"
    out = scan(door, event, registrant.ticket_secret, list=hall.id, kind="exit").json
    assert (out["result"], out["kind"]) == ("ok", "exit")
    assert door.get(f"/api/v1/events/{event.id}/checkins/stats?list={hall.id}").json["inside"] == 0
    refused = scan(door, event, registrant.ticket_secret, kind="exit")  # the default list takes no exits
    assert refused.status_code == 422


def test_undoing_twice_is_a_conflict(door, event, ticket):
    checkin_id = scan(door, event, make_registrant(event, ticket).ticket_secret).json["checkin"]["id"]
    url = f"/api/v1/events/{event.id}/checkins/{checkin_id}/undo"
    assert door.post(url).status_code == 200
    assert door.post(url).status_code == 409
