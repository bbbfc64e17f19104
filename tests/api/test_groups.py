"""Participant groups over the API: set-up, counts by state, moves, registrant filters by group
and state; scoped to the key's organization."""

from __future__ import annotations

from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_registrant
from webapp.accounts.audit import AuditEntry
from webapp.catalog.models import ParticipantGroup
from webapp.orders.models import Registrant


def test_an_integration_sets_groups_up_and_moves_people(api, org):
    event = make_event(org)
    ticket = make_product(event)
    people = [make_registrant(event, ticket) for _ in range(3)]
    listed = api.get(f"/events/{event.id}/groups")
    assert listed.status_code == 200, listed.json
    (default,) = listed.json["items"]
    assert default["is_default"] and default["name"] == "Attendees" and default["states"]["registered"] == 3
    assert default["seats_taken"] == 3 and "group=" in default["registration_url"]

    created = api.post(
        f"/events/{event.id}/groups",
        {"name": "Speakers", "capacity": 2, "registration": "invited", "product_ids": [ticket.id]},
    )
    assert created.status_code == 201, created.json
    speakers = created.json
    assert speakers["capacity"] == 2 and speakers["registration_url"] is None and speakers["product_ids"] == [ticket.id]

    moved = api.post(f"/events/{event.id}/groups/{speakers['id']}/members", {"registrant_ids": [people[0].id]})
    assert moved.json == {"moved": 1}
    too_many = api.post(
        f"/events/{event.id}/groups/{speakers['id']}/members", {"registrant_ids": [people[1].id, people[2].id]}
    )
    assert too_many.status_code == 422 and "registrant_ids" in too_many.json["error"]["fields"]
    assert Registrant.select().where(Registrant.group == speakers["id"]).count() == 1

    in_group = api.get(f"/events/{event.id}/registrants", group_id=speakers["id"]).json["data"]
    assert [r["id"] for r in in_group] == [people[0].id] and in_group[0]["state"] == "registered"
    in_default = api.get(f"/events/{event.id}/registrants", group_id=default["id"]).json["data"]
    assert {r["id"] for r in in_default} == {people[1].id, people[2].id}
    assert api.get(f"/events/{event.id}/registrants", state="checked_in").json["data"] == []

    patched = api.patch(f"/events/{event.id}/groups/{speakers['id']}", {"capacity": None, "name": "Keynotes"})
    assert patched.status_code == 200 and patched.json["capacity"] is None and patched.json["name"] == "Keynotes"
    assert api.delete(f"/events/{event.id}/groups/{speakers['id']}").status_code == 422  # still has people
    assert api.delete(f"/events/{event.id}/groups/{default['id']}").status_code == 422
    assert AuditEntry.get(AuditEntry.action == "group.create").actor.startswith("api key")


def test_bad_input_and_other_organizations_groups_are_refused(api, other_api, org):
    event = make_event(org)
    make_product(event)
    base = f"/events/{event.id}/groups"
    for body in (
        {},
        {"name": ""},
        {"name": "x" * 101},
        {"name": "Crew", "capacity": -1},
        {"name": "Crew", "capacity": 10**12},
        {"name": "Crew", "registration": "sometimes"},
        {"name": "Crew", "registration": "accept_limit"},
        {"name": "Crew", "product_ids": [999999]},
        {"name": "Crew", "badge_layout": "giant"},
        {"name": "Crew\x00"},
    ):
        response = api.post(base, body)
        assert response.status_code == 422, (body, response.json)
        assert response.json["error"]["code"]
    group_id = api.post(base, {"name": "Crew"}).json["id"]
    assert api.post(base, {"name": "crew"}).status_code == 422
    assert other_api.get(base).status_code == 404
    assert other_api.get(f"{base}/{group_id}").status_code == 404
    assert other_api.patch(f"{base}/{group_id}", {"name": "Mine"}).status_code == 404
    assert other_api.post(f"{base}/{group_id}/members", {"registrant_ids": [1]}).status_code == 404
    assert ParticipantGroup.get_by_id(group_id).name == "Crew"
    assert api.get(f"/events/{event.id}/registrants", group_id=999999).status_code == 422
    assert api.get(f"/events/{event.id}/registrants", state="asleep").status_code == 422
    assert api.post(f"{base}/{group_id}/members", {"registrant_ids": []}).status_code == 422
    assert api.post(f"{base}/{group_id}/members", {"registrant_ids": [424242]}).status_code == 422
