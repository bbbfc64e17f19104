"""Invitations over the API: invite a contact or an email into a participant group, list by state
and group, send again, cancel; audited, idempotent, scoped to the key's organization."""

from __future__ import annotations

from tests.factories.accounts import make_org
from tests.factories.contacts import make_contact
from tests.factories.events import make_event
from webapp.accounts.audit import AuditEntry
from webapp.catalog import groups as catalog_groups
from webapp.mail.models import Outbox
from webapp.orders import invitations
from webapp.orders.models import Invitation


def test_an_integration_invites_a_contact_into_a_group_and_follows_the_invitation(api, org):
    event = make_event(org, invite_only=True)
    press = catalog_groups.create(event, {"name": "Press", "registration": "invited"}, actor=None)
    contact = make_contact(org, email="rani@example.org", name="Rani")
    created = api.post(f"/events/{event.id}/invitations", {"contact_id": contact.id, "group_id": press.id})
    assert created.status_code == 201, created.json
    body = created.json
    assert (body["email"], body["name"], body["group_id"], body["state"]) == (
        "rani@example.org",
        "Rani",
        press.id,
        "invited",
    )
    assert Outbox.get(Outbox.kind == "invitation").to_email == "rani@example.org"
    entry = AuditEntry.get(AuditEntry.action == "invitation.create")
    assert entry.actor.startswith("api key") and "rani@example.org" in entry.summary

    by_email = api.post(f"/events/{event.id}/invitations", {"email": "Budi@Example.org", "send": False})
    assert by_email.status_code == 201 and by_email.json["group_id"] is None and by_email.json["sent_at"] is None
    invitations.decline(Invitation.get_by_id(by_email.json["id"]))

    def listed(**query):
        answer = api.get(f"/events/{event.id}/invitations", **query)
        assert answer.status_code == 200, answer.json
        return [item["email"] for item in answer.json["data"]]

    assert listed() == ["budi@example.org", "rani@example.org"]
    assert listed(state="invited") == ["rani@example.org"] and listed(state="declined") == ["budi@example.org"]
    assert listed(group_id=press.id) == ["rani@example.org"]
    default = catalog_groups.default_group(event)
    assert listed(group_id=default.id) == ["budi@example.org"]
    # The groups' counts say the same.
    groups = {g["id"]: g["states"] for g in api.get(f"/events/{event.id}/groups").json["items"]}
    assert groups[press.id]["invited"] == 1 and groups[default.id]["declined"] == 1

    resent = api.post(f"/events/{event.id}/invitations/{body['id']}/resend")
    assert resent.status_code == 200 and Outbox.select().where(Outbox.kind == "invitation").count() == 2
    assert AuditEntry.get(AuditEntry.action == "invitation.resend").actor.startswith("api key")
    canceled = api.post(f"/events/{event.id}/invitations/{body['id']}/cancel")
    assert canceled.status_code == 200 and canceled.json["state"] == "revoked"
    assert AuditEntry.get(AuditEntry.action == "invitation.revoke").actor.startswith("api key")
    assert api.post(f"/events/{event.id}/invitations/{body['id']}/cancel").status_code == 409
    assert api.post(f"/events/{event.id}/invitations/{body['id']}/resend").status_code == 409
    assert listed(state="revoked") == ["rani@example.org"]
    assert api.get(f"/events/{event.id}/invitations/{body['id']}").json["state"] == "revoked"


def test_an_idempotency_key_makes_one_invitation(api, org):
    event = make_event(org)
    first = api.post(f"/events/{event.id}/invitations", {"email": "once@example.org"}, key="invite-once")
    again = api.post(f"/events/{event.id}/invitations", {"email": "once@example.org"}, key="invite-once")
    assert first.status_code == again.status_code == 201 and first.json["id"] == again.json["id"]
    assert Invitation.select().count() == 1 and Outbox.select().count() == 1


def test_bad_input_is_a_422_naming_the_field(api, org):
    event = make_event(org)
    other_org = make_org()
    stranger = make_contact(other_org, email="stranger@example.org")
    foreign_group = catalog_groups.create(make_event(org), {"name": "Press"}, actor=None)
    cases = [
        ({}, "contact_id"),
        ({"email": "a@example.org", "contact_id": stranger.id}, "contact_id"),
        ({"contact_id": stranger.id}, "contact_id"),
        ({"email": "not an address"}, "email"),
        ({"email": "a@example.org", "group_id": foreign_group.id}, "group_id"),
        ({"email": "a@example.org", "product_ids": [999999]}, "product_ids"),
    ]
    for body, field in cases:
        answer = api.post(f"/events/{event.id}/invitations", body)
        assert answer.status_code == 422 and field in answer.json["error"]["fields"], (body, answer.json)
    assert api.get(f"/events/{event.id}/invitations", state="lost").status_code == 422
    assert not Invitation.select().exists()


def test_another_organizations_invitations_are_not_found(api, other_api, org):
    event = make_event(org)
    invitation = invitations.create(event, email="x@example.org", actor=None)
    assert other_api.get(f"/events/{event.id}/invitations").status_code == 404
    assert other_api.post(f"/events/{event.id}/invitations", {"email": "y@example.org"}).status_code == 404
    assert other_api.post(f"/events/{event.id}/invitations/{invitation.id}/cancel").status_code == 404
    other_event = make_event(org)
    assert api.post(f"/events/{other_event.id}/invitations/{invitation.id}/resend").status_code == 404
    assert api.get(f"/events/{other_event.id}/invitations/{invitation.id}").status_code == 404
    assert Invitation.get_by_id(invitation.id).revoked_at is None


def test_the_invitations_routes_are_in_the_openapi_document(api):
    paths = api.client.get("/api/v1/openapi.json").json["paths"]
    assert set(paths["/api/v1/events/{event_id}/invitations"]) == {"get", "post"}
    assert "post" in paths["/api/v1/events/{event_id}/invitations/{invitation_id}/resend"]
    assert "post" in paths["/api/v1/events/{event_id}/invitations/{invitation_id}/cancel"]
    assert "post" in paths["/api/v1/orders/{order_id}/accept"]
