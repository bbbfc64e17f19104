"""Contacts and the check-in log over the API."""

from __future__ import annotations

from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_registrant
from webapp.contacts.models import Contact, Label


def test_an_address_with_a_control_character_answers_422_not_500(api, org):
    response = api.post("/contacts", {"email": "ana@example.org\x00", "name": "Ana"})
    assert response.status_code == 422
    assert "email" in response.get_data(as_text=True)
    assert api.get("/contacts").json["data"] == []


def test_a_contact_is_upserted_by_email_and_merged(api, org):
    created = api.post("/contacts", {"email": "Ana@Example.org", "name": "Ana", "custom": {"size": "M"}})
    assert created.status_code == 201, created.json
    assert created.json["email"] == "ana@example.org"
    again = api.post("/contacts", {"email": "ana@example.org", "company": "ACME", "custom": {"team": "blue"}})
    assert again.status_code == 200
    assert (again.json["name"], again.json["company"]) == ("Ana", "ACME")
    assert again.json["custom"] == {"size": "M", "team": "blue"}
    assert Contact.for_org(org.id).count() == 1


def test_labels_and_stage_are_set_and_the_timeline_tells_it(api, org):
    Label.create(organization=org.id, name="VIP", stage="promoter")
    contact_id = api.post("/contacts", {"email": "ana@example.org"}).json["id"]
    labelled = api.post(f"/contacts/{contact_id}/labels", {"add": ["VIP", "Speaker"]}).json
    assert sorted(labelled["labels"]) == ["Speaker", "VIP"]
    assert (labelled["stage"], labelled["stage_source"]) == ("promoter", "rule:VIP")
    unlabelled = api.post(f"/contacts/{contact_id}/labels", {"remove": ["Speaker"]}).json
    assert unlabelled["labels"] == ["VIP"]
    staged = api.post(f"/contacts/{contact_id}/stage", {"stage": "lost"}).json
    assert (staged["stage"], staged["stage_source"]) == ("lost", "api")
    kinds = [entry["kind"] for entry in api.get(f"/contacts/{contact_id}").json["timeline"]]
    assert kinds.count("label_added") == 2 and "stage_changed" in kinds
    bad = api.post(f"/contacts/{contact_id}/stage", {"stage": "famous"})
    assert set(bad.json["error"]["fields"]) == {"stage"}


def test_contacts_are_listed_with_filters(api, org):
    api.post("/contacts", {"email": "a@example.org"})
    b = api.post("/contacts", {"email": "b@example.org", "user_id": "u-2"}).json
    api.post(f"/contacts/{b['id']}/labels", {"add": ["Sponsor"]})
    assert [c["email"] for c in api.get("/contacts", label="sponsor").json["data"]] == ["b@example.org"]
    assert [c["email"] for c in api.get("/contacts", user_id="u-2").json["data"]] == ["b@example.org"]
    assert [c["email"] for c in api.get("/contacts", email="A@example.org").json["data"]] == ["a@example.org"]


def test_contacts_of_another_organization_are_not_found(api, other_api):
    contact_id = api.post("/contacts", {"email": "a@example.org"}).json["id"]
    assert other_api.get(f"/contacts/{contact_id}").status_code == 404
    assert other_api.post(f"/contacts/{contact_id}/labels", {"add": ["x"]}).status_code == 404


def test_a_scan_over_the_api_is_logged_listed_and_undone(api, org):
    event = make_event(org)
    registrant = make_registrant(event, make_product(event))
    scan = api.post(f"/events/{event.id}/checkins", {"secret": registrant.ticket_secret, "gate": "North"})
    assert scan.status_code == 200, scan.json
    assert scan.json["result"] == "ok"
    second = api.post(f"/events/{event.id}/checkins", {"secret": registrant.ticket_secret, "gate": "South"}).json
    assert (second["result"], second["reason"]) == ("error", "already_checked_in")
    log = api.get(f"/events/{event.id}/checkins").json["data"]
    assert [(c["result"], c["gate"]) for c in log] == [("error", "South"), ("ok", "North")]
    assert [c["gate"] for c in api.get(f"/events/{event.id}/checkins", result="ok").json["data"]] == ["North"]
    stats = api.get(f"/events/{event.id}/checkins/stats").json
    assert stats["checked_in"] == 1 and stats["gates"] == [{"gate": "North", "entries": 1}]
    undone = api.post(f"/events/{event.id}/checkins/{scan.json['checkin']['id']}/undo")
    assert undone.status_code == 200, undone.json
    assert api.get(f"/events/{event.id}/registrants", checked_in="true").json["data"] == []


def test_a_read_only_key_cannot_redeem(client, org):
    from tests.factories.api import ApiClient, make_api_key

    event = make_event(org)
    registrant = make_registrant(event, make_product(event))
    _, token = make_api_key(org, read_only=True)
    response = ApiClient(client, token).post(f"/events/{event.id}/checkins", {"secret": registrant.ticket_secret})
    assert response.status_code == 403
