"""The offline door: the list copy a door device downloads, its changes since a cursor, the replay of
scans made offline (order, nonces, the review of refused offline admissions), signed ticket
secrets, and the installable shell."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from tests.checkin.test_door_views import scan, with_csrf_header
from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_registrant
from webapp.accounts.audit import AuditEntry
from webapp.checkin import offline
from webapp.checkin.lists import default_list
from webapp.checkin.models import AdmissionReview, Attendance, Checkin
from webapp.events.models import Event
from webapp.orders import signed_secrets
from webapp.orders.models import Registrant, TicketSigningKey
from webapp.orders.service import add_participants


@pytest.fixture
def door(auth, org, door_user):
    return with_csrf_header(auth.client_for(door_user, org))


@pytest.fixture
def boss(auth, org, supervisor):
    return with_csrf_header(auth.client_for(supervisor, org))


def base(event, checkin_list=None):
    checkin_list = checkin_list or default_list(event)
    return f"/api/v1/events/{event.id}/checkin-lists/{checkin_list.id}/offline"


def when(minutes: int = 0) -> str:
    moment = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes)
    return moment.isoformat().replace("+00:00", "Z")


def upload(client, event, scans, device="door-a", checkin_list=None):
    return client.post(f"{base(event, checkin_list)}/scans", json={"device": device, "scans": scans})


def offline_scan(registrant, nonce, verdict="ok", minutes=0, gate="North"):
    return {
        "secret": registrant.ticket_secret,
        "nonce": nonce,
        "device_time": when(minutes),
        "verdict": verdict,
        "gate": gate,
    }


# --- the copy a device downloads ------------------------------------------------------------------


def test_door_list_carries_keyed_hashes_never_the_secrets(door, event, ticket):
    dewi = make_registrant(event, ticket, attendees=[{"name": "Dewi Lestari"}])
    unpaid = make_registrant(event, ticket, status="pending", attendees=[{"name": "Budi Unpaid"}])
    canceled = make_registrant(event, ticket, status="canceled", attendees=[{"name": "Citra Canceled"}])
    answer = door.get(base(event))
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    for registrant in (dewi, unpaid, canceled):
        assert registrant.ticket_secret not in body
    key = base64.urlsafe_b64decode(answer.json["key"] + "==")
    tickets = {t["hash"]: t for t in answer.json["tickets"]}
    assert tickets[offline.secret_hash(key, dewi.ticket_secret)]["name"] == "Dewi Lestari"
    assert tickets[offline.secret_hash(key, dewi.ticket_secret)]["state"] == "valid"
    assert tickets[offline.secret_hash(key, unpaid.ticket_secret)]["state"] == "unpaid"
    assert tickets[offline.secret_hash(key, canceled.ticket_secret)]["state"] == "canceled"
    assert answer.json["list"]["id"] == default_list(event).id
    assert answer.json["products"] == [{"id": ticket.id, "name": "Standard", "admits_entry": True}]
    assert answer.json["signing_key"] is None


def test_each_list_has_its_own_key(door, org, event, ticket):
    registrant = make_registrant(event, ticket)
    other_event = make_event(org)
    make_registrant(other_event, make_product(other_event))
    first = door.get(base(event)).json
    second = door.get(base(other_event)).json
    assert first["key"] != second["key"]
    key = base64.urlsafe_b64decode(second["key"] + "==")
    assert offline.secret_hash(key, registrant.ticket_secret) not in {t["hash"] for t in first["tickets"]}


def test_changes_since_the_cursor_bring_new_changed_and_admitted_tickets(door, event, ticket):
    admitted = make_registrant(event, ticket, attendees=[{"name": "Admitted Online"}])
    quiet = make_registrant(event, ticket, attendees=[{"name": "Not Changed"}])
    first = door.get(base(event)).json
    Registrant.update(updated_at=dt.datetime(2020, 1, 1)).where(Registrant.id == quiet.id).execute()
    late = make_registrant(event, ticket, attendees=[{"name": "Sold Later"}])
    assert scan(door, event, admitted.ticket_secret, gate="South").json["result"] == "ok"

    changes = door.get(f"{base(event)}/changes", query_string={"since": first["cursor"]})
    assert changes.status_code == 200
    by_name = {t["name"]: t for t in changes.json["tickets"]}
    assert by_name["Sold Later"]["state"] == "valid" and by_name["Sold Later"]["entries"] == 0
    assert by_name["Admitted Online"]["entries"] == 1 and by_name["Admitted Online"]["last_gate"] == "South"
    assert late.ticket_secret not in changes.get_data(as_text=True)

    later = door.get(f"{base(event)}/changes", query_string={"since": when(60 * 24 * 3650)})
    assert later.json["tickets"] == []


def test_changes_without_a_cursor_or_with_a_bad_one_are_422(door, event):
    assert door.get(f"{base(event)}/changes").status_code == 422
    assert door.get(f"{base(event)}/changes", query_string={"since": "yesterday"}).status_code == 422


# --- replay ---------------------------------------------------------------------------------------


def test_replay_redeems_in_the_order_made_and_keeps_the_device_time(door, event, ticket):
    registrant = make_registrant(event, ticket)
    answer = upload(
        door,
        event,
        [offline_scan(registrant, "n-1", minutes=0), offline_scan(registrant, "n-2", verdict="error", minutes=1)],
    )
    assert answer.status_code == 200
    items = answer.json["items"]
    assert [(i["nonce"], i["result"], i["reason"]) for i in items] == [
        ("n-1", "ok", None),
        ("n-2", "error", "already_checked_in"),
    ]
    assert items[1]["review_id"] is None  # the device refused it too: nothing to review
    first = Checkin.get_by_id(items[0]["checkin_id"])
    assert first.data["offline"] == {"device": "door-a", "device_time": "2026-12-06T09:00:00", "verdict": "ok"}
    assert first.gate == "North"
    assert Registrant.get_by_id(registrant.id).checked_in_at is not None


def test_uploading_the_same_scans_twice_changes_nothing(door, event, ticket):
    registrant = make_registrant(event, ticket)
    scans = [offline_scan(registrant, "same-1")]
    first = upload(door, event, scans).json["items"]
    again = upload(door, event, scans).json["items"]
    assert first[0]["result"] == again[0]["result"] == "ok"
    assert again[0]["replayed"] is True and again[0]["checkin_id"] == first[0]["checkin_id"]
    assert Checkin.select().where(Checkin.registrant == registrant.id).count() == 1
    assert Attendance.get(Attendance.registrant == registrant.id).entries == 1


def test_a_ticket_admitted_offline_at_two_devices_is_one_admission_and_one_review(door, event, ticket):
    registrant = make_registrant(event, ticket, attendees=[{"name": "Twice Admitted"}])
    a = upload(door, event, [offline_scan(registrant, "a-1", gate="North")], device="door-a").json["items"][0]
    b = upload(door, event, [offline_scan(registrant, "b-1", gate="South")], device="door-b").json["items"][0]
    assert a["result"] == "ok" and a["review_id"] is None
    assert (b["result"], b["reason"]) == ("error", "already_checked_in")
    review = AdmissionReview.get_by_id(b["review_id"])
    assert (review.registrant_id, review.reason, review.device) == (registrant.id, "already_checked_in", "door-b")
    assert review.previous_gate == "North" and review.resolved_at is None
    assert review.device_time == dt.datetime(2026, 12, 6, 9, 0)
    # Door B uploads again (its answer was lost): still one review.
    assert upload(door, event, [offline_scan(registrant, "b-1")], device="door-b").json["items"][0]["review_id"] == (
        review.id
    )
    assert AdmissionReview.select().count() == 1
    assert Attendance.get(Attendance.registrant == registrant.id).entries == 1


def test_offline_admission_after_an_online_one_is_reviewed(door, event, ticket):
    registrant = make_registrant(event, ticket)
    assert scan(door, event, registrant.ticket_secret, gate="Main").json["result"] == "ok"
    item = upload(door, event, [offline_scan(registrant, "late-1")]).json["items"][0]
    assert item["reason"] == "already_checked_in" and item["review_id"]
    assert AdmissionReview.get_by_id(item["review_id"]).previous_gate == "Main"


def test_a_ticket_canceled_before_the_upload_is_reviewed_not_admitted(door, event, ticket):
    registrant = make_registrant(event, ticket, status="canceled")
    item = upload(door, event, [offline_scan(registrant, "c-1")]).json["items"][0]
    assert item["reason"] == "canceled"
    assert AdmissionReview.get_by_id(item["review_id"]).reason == "canceled"


def test_another_organization_can_neither_download_nor_upload(auth, event, ticket):
    registrant = make_registrant(event, ticket)
    stranger_org = make_org()
    stranger = with_csrf_header(auth.client_for(make_member(stranger_org, "door"), stranger_org))
    assert stranger.get(base(event)).status_code == 404
    assert stranger.get(f"{base(event)}/changes", query_string={"since": when()}).status_code == 404
    assert upload(stranger, event, [offline_scan(registrant, "x-1")]).status_code == 404
    assert not Checkin.select().exists()


def test_a_list_of_another_event_is_404(door, org, event, ticket):
    other_list = default_list(make_event(org))
    assert door.get(base(event, other_list)).status_code == 404
    assert upload(door, event, [], checkin_list=other_list).status_code == 404


def test_signed_out_callers_are_refused(client, event):
    assert client.get(base(event)).status_code in (401, 403)


@pytest.mark.parametrize(
    "body",
    [
        {"device": "d", "scans": "not a list"},
        {"device": "d", "scans": [{"secret": "A", "nonce": "n", "device_time": "09:00", "verdict": "ok"}]},
        {"device": "d", "scans": [{"secret": "A", "nonce": "n", "device_time": when(), "verdict": "maybe"}]},
        {"device": "d", "scans": [{"secret": "A\u0000B", "nonce": "n", "device_time": when(), "verdict": "ok"}]},
        {"device": "d", "scans": [{"secret": "\ud800", "nonce": "n", "device_time": when(), "verdict": "ok"}]},
        {"device": "d", "scans": [{"secret": "A", "nonce": "x" * 65, "device_time": when(), "verdict": "ok"}]},
        {"device": "d", "scans": [{"secret": "A", "device_time": when(), "verdict": "ok"}]},
        {"device": "", "scans": []},
        {"scans": []},
    ],
)
def test_bad_uploads_are_4xx_and_write_nothing(door, event, body):
    answer = door.post(
        f"{base(event)}/scans", data=json.dumps(body, ensure_ascii=True), content_type="application/json"
    )
    assert 400 <= answer.status_code < 500
    assert answer.json["error"]["code"]
    assert not Checkin.select().exists()


def test_too_many_scans_in_one_upload_is_422(door, event):
    scans = [{"secret": "A", "nonce": f"n{i}", "device_time": when(), "verdict": "ok"} for i in range(501)]
    assert upload(door, event, scans).status_code == 422


def test_wrong_methods_and_huge_ids_are_4xx(door, event):
    assert door.put(base(event)).status_code == 405
    assert door.get(f"/api/v1/events/{event.id}/checkin-lists/99999999999999999999/offline").status_code == 404


# --- the supervisor's review list -----------------------------------------------------------------


def test_supervisor_sees_and_resolves_a_review_with_an_audit_entry(door, boss, event, ticket):
    registrant = make_registrant(event, ticket, attendees=[{"name": "Review Me"}])
    upload(door, event, [offline_scan(registrant, "a-1")], device="door-a")
    review_id = upload(door, event, [offline_scan(registrant, "b-1")], device="door-b").json["items"][0]["review_id"]
    page = boss.get(f"/console/events/{event.id}/checkin/offline").get_data(as_text=True)
    assert "Review Me" in page and "door-b" in page

    url = f"/console/events/{event.id}/checkin/offline/reviews/{review_id}/resolve"
    empty = boss.post(url, data={"note": "  "}, headers={"HX-Request": "true"})
    assert empty.status_code == 422 and 'class="error"' in empty.get_data(as_text=True)
    assert AdmissionReview.get_by_id(review_id).resolved_at is None

    done = boss.post(url, data={"note": "Same person, came back for a coat"}, headers={"HX-Request": "true"})
    assert done.status_code == 200 and "came back for a coat" in done.get_data(as_text=True)
    review = AdmissionReview.get_by_id(review_id)
    assert review.resolved_at is not None and review.resolution == "Same person, came back for a coat"
    entry = AuditEntry.get(AuditEntry.action == "checkin.review_resolved")
    assert entry.target_id == registrant.id and "came back for a coat" in entry.summary
    assert "Review Me" not in boss.get(f"/console/events/{event.id}/checkin/offline").get_data(as_text=True)
    assert boss.post(url, data={"note": "again"}, headers={"HX-Request": "true"}).status_code == 422


def test_door_staff_cannot_open_the_review_list(door, event):
    assert door.get(f"/console/events/{event.id}/checkin/offline").status_code == 403


def test_review_of_another_event_is_404(boss, door, org, event, ticket):
    registrant = make_registrant(event, ticket)
    upload(door, event, [offline_scan(registrant, "a-1")])
    review_id = upload(door, event, [offline_scan(registrant, "b-1")]).json["items"][0]["review_id"]
    other = make_event(org)
    url = f"/console/events/{other.id}/checkin/offline/reviews/{review_id}/resolve"
    assert boss.post(url, data={"note": "x"}).status_code == 404


# --- signed ticket secrets ------------------------------------------------------------------------


def test_signed_tickets_verify_with_the_public_key_and_scan_online(boss, door, event, ticket, supervisor):
    before = make_registrant(event, ticket)  # unsigned, made before the switch
    answer = boss.post(f"/console/events/{event.id}/checkin/offline/signed-tickets", data={"signed_tickets": "y"})
    assert answer.status_code == 303
    assert Event.get_by_id(event.id).signed_tickets
    assert AuditEntry.get(AuditEntry.action == "event.signed_tickets").summary.startswith("Signed ticket secrets on")

    order = add_participants(
        Event.get_by_id(event.id), ticket, [{"name": "Signed Sam", "email": "sam@example.org"}],
        source="console", paid=True, send_ticket=False, actor=supervisor,
    )  # fmt: skip
    secret = order.registrants.get().ticket_secret
    assert len(secret) == signed_secrets.SIGNED_LENGTH and secret.isalnum() and secret.upper() == secret
    public = door.get(base(event)).json["signing_key"]
    assert signed_secrets.verify(secret, public) == (event.id, ticket.id)
    tampered = secret[:40] + ("A" if secret[40] != "A" else "B") + secret[41:]
    assert signed_secrets.verify(tampered, public) is None
    assert signed_secrets.verify(before.ticket_secret, public) is None

    assert scan(door, event, secret).json["result"] == "ok"
    assert scan(door, event, before.ticket_secret).json["result"] == "ok"
    assert scan(door, event, tampered).json["reason"] == "invalid"


def test_the_private_key_is_kept_sealed(event):
    signed_secrets.set_signed_tickets(event, True, actor=None)
    key = signed_secrets.signing_key(event)
    assert key.private_key.startswith("gAAAA")  # a Fernet token, not the key
    assert signed_secrets.public_key(event) == key.public_key


def test_turning_signing_off_makes_plain_secrets_again(event, ticket):
    signed_secrets.set_signed_tickets(event, True, actor=None)
    signed_secrets.set_signed_tickets(event, False, actor=None)
    assert len(signed_secrets.secret_for(Event.get_by_id(event.id), ticket.id)) == 26


# --- the installable shell -----------------------------------------------------------------------


def test_manifest_and_service_worker_cover_the_door(door, client):
    manifest = client.get("/checkin/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest.mimetype == "application/manifest+json"
    assert manifest.json["scope"] == "/checkin/" and manifest.json["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest.json["icons"]} == {"192x192", "512x512"}
    worker = client.get("/checkin/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    first_line = worker.get_data(as_text=True).splitlines()[0]
    shell = json.loads(first_line.removeprefix("const DOOR_SHELL = ").rstrip(";"))
    assert any("/static/js/scanner." in url for url in shell["assets"])
    assert any("/static/js/door-offline." in url for url in shell["assets"])
    for url in shell["assets"]:
        assert client.get(url).status_code == 200


def test_a_key_sealed_under_another_secret_key_gives_plain_secrets_until_signing_is_renewed(event, ticket):
    signed_secrets.set_signed_tickets(event, True, actor=None)
    old = signed_secrets.signing_key(event)
    TicketSigningKey.update(private_key="gAAAAAnot-a-token").where(TicketSigningKey.id == old.id).execute()
    assert len(signed_secrets.secret_for(Event.get_by_id(event.id), ticket.id)) == 26
    signed_secrets.set_signed_tickets(event, True, actor=None)
    assert signed_secrets.public_key(event) != old.public_key
    assert len(signed_secrets.secret_for(Event.get_by_id(event.id), ticket.id)) == signed_secrets.SIGNED_LENGTH
