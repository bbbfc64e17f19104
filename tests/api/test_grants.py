"""Who may do what on an event, over the API: list, give, change and take back a member's grant,
and list a member's grants; scoped to the key's organization and to keys with the `team` scope."""

from __future__ import annotations

from tests.factories.accounts import make_member, make_org
from tests.factories.api import ApiClient, make_api_key
from tests.factories.events import make_event
from webapp.accounts.audit import AuditEntry
from webapp.accounts.models import EventGrant


def test_an_integration_gives_changes_and_takes_back_a_grant_with_audit(api, org, auth):
    event, other = make_event(org, name="Open Day"), make_event(org)
    member = make_member(org, "member")
    created = api.post(f"/events/{event.id}/grants", {"user_id": member.id, "role": "staff"})
    assert created.status_code == 201, created.json
    body = created.json
    assert (body["user_id"], body["email"], body["role"], body["event_id"]) == (
        member.id,
        member.email,
        "staff",
        event.id,
    )
    # The member now works on the event's registrants, and only there.
    client = auth.client_for(member, org)
    assert client.get(f"/console/events/{event.id}/registrants").status_code == 200
    assert client.get(f"/console/events/{other.id}/registrants").status_code == 403

    listed = api.get(f"/events/{event.id}/grants").json["items"]
    assert [(g["email"], g["role"]) for g in listed] == [(member.email, "staff")]
    changed = api.patch(f"/events/{event.id}/grants/{body['id']}", {"role": "guide"})
    assert changed.status_code == 200 and changed.json["role"] == "guide"
    assert api.get(f"/members/{member.id}/grants").json["items"][0]["role"] == "guide"

    deleted = api.delete(f"/events/{event.id}/grants/{body['id']}")
    assert deleted.json == {"id": body["id"], "deleted": True}
    assert client.get(f"/console/events/{event.id}/registrants").status_code == 403
    assert api.get(f"/members/{member.id}/grants").json["items"] == []
    entries = list(
        AuditEntry.select().where(AuditEntry.action.in_(["event.grant", "event.revoke"])).order_by(AuditEntry.id)
    )
    assert [e.action for e in entries] == ["event.grant", "event.grant", "event.revoke"]
    assert all(e.actor.startswith("api key") for e in entries)


def test_bad_grants_get_a_json_error_naming_the_field(api, org):
    event = make_event(org)
    member = make_member(org, "member")
    stranger = make_member(make_org(), "manager")
    for body, field in (
        ({"user_id": stranger.id, "role": "staff"}, "user_id"),  # a member of another organization
        ({"user_id": 2**31 - 2, "role": "staff"}, "user_id"),  # nobody
        ({"user_id": member.id, "role": "owner"}, "role"),
        ({"user_id": member.id}, "role"),
        ({"user_id": "x\x00", "role": "staff"}, "user_id"),
        ({"user_id": 10**30, "role": "staff"}, "user_id"),
    ):
        refused = api.post(f"/events/{event.id}/grants", body)
        assert refused.status_code == 422, (body, refused.json)
        assert field in refused.json["error"]["fields"], (body, refused.json)
    assert not EventGrant.select().exists()
    assert api.get(f"/members/{stranger.id}/grants").status_code == 404
    assert api.patch(f"/events/{event.id}/grants/999", {"role": "staff"}).status_code == 404
    assert api.client.put(f"/api/v1/events/{event.id}/grants", headers=api.headers()).status_code == 405


def test_another_organizations_events_and_grants_are_not_found(api, other_api, org):
    event = make_event(org)
    member = make_member(org, "member")
    grant_id = api.post(f"/events/{event.id}/grants", {"user_id": member.id, "role": "door"}).json["id"]
    assert other_api.get(f"/events/{event.id}/grants").status_code == 404
    assert other_api.delete(f"/events/{event.id}/grants/{grant_id}").status_code == 404
    assert other_api.get(f"/members/{member.id}/grants").status_code == 404
    # A grant of one event is not reached through another event of the same organization.
    assert api.delete(f"/events/{make_event(org).id}/grants/{grant_id}").status_code == 404
    assert EventGrant.get_by_id(grant_id).role == "door"


def test_a_key_needs_the_team_scope_and_write_access(client, org):
    event = make_event(org)
    member = make_member(org, "member")
    _, events_only = make_api_key(org, scopes=["events"])
    refused = ApiClient(client, events_only).get(f"/events/{event.id}/grants")
    assert refused.status_code == 403 and "team" in refused.json["error"]["message"]
    _, team = make_api_key(org, scopes=["team"])
    assert ApiClient(client, team).get(f"/events/{event.id}/grants").status_code == 200
    _, read_only = make_api_key(org, read_only=True)
    assert (
        ApiClient(client, read_only)
        .post(f"/events/{event.id}/grants", {"user_id": member.id, "role": "guide"})
        .status_code
        == 403
    )


def test_the_grants_operations_are_in_the_openapi_document(api):
    paths = api.get("/api/v1/openapi.json").json["paths"]
    assert set(paths["/api/v1/events/{event_id}/grants"]) >= {"get", "post"}
    assert set(paths["/api/v1/events/{event_id}/grants/{grant_id}"]) >= {"patch", "delete"}
    assert "get" in paths["/api/v1/members/{user_id}/grants"]
