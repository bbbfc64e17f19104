"""The assigned contacts of an event over the API: list, assign, invite, remove; scoped to the
key's organization."""

from __future__ import annotations

from tests.factories.contacts import make_contact
from tests.factories.events import make_event
from webapp.accounts.audit import AuditEntry
from webapp.mail.models import Outbox
from webapp.orders.models import EventAssignment


def test_an_integration_assigns_a_contact_and_sends_the_invitation(api, org):
    event = make_event(org, invite_only=True)
    make_contact(org, email="key@example.org", name="Key Customer")
    created = api.post(f"/events/{event.id}/assignments", {"email": "KEY@example.org", "note": "from the CRM"})
    assert created.status_code == 201, created.json
    body = created.json
    assert body["email"] == "key@example.org" and body["note"] == "from the CRM"
    assert body["assigned_by"] is None and body["invitation_code"] is None and body["registered"] is False
    assert AuditEntry.get(AuditEntry.action == "event.assign").actor.startswith("api key")

    invited = api.post(f"/events/{event.id}/assignments/{body['id']}/invite")
    assert invited.status_code == 200 and invited.json["invitation_code"]
    assert Outbox.get(Outbox.kind == "invitation").to_email == "key@example.org"
    listed = api.get(f"/events/{event.id}/assignments").json["items"]
    assert [item["email"] for item in listed] == ["key@example.org"]

    assert api.delete(f"/events/{event.id}/assignments/{body['id']}").json == {"id": body["id"], "deleted": True}
    assert not EventAssignment.select().exists()


def test_unknown_contacts_and_other_organizations_rows_are_refused(api, other_api, org):
    event = make_event(org)
    make_contact(org, email="key@example.org")
    refused = api.post(f"/events/{event.id}/assignments", {"email": "nobody@example.org"})
    assert refused.status_code == 422 and "email" in refused.json["error"]["fields"]
    assert api.post(f"/events/{event.id}/assignments", {"email": "x" * 300}).status_code == 422
    assignment_id = api.post(f"/events/{event.id}/assignments", {"email": "key@example.org"}).json["id"]
    assert api.post(f"/events/{event.id}/assignments", {"email": "key@example.org"}).status_code == 422
    assert other_api.get(f"/events/{event.id}/assignments").status_code == 404
    assert other_api.post(f"/events/{event.id}/assignments/{assignment_id}/invite").status_code == 404
    other_event = make_event(org)
    assert api.post(f"/events/{other_event.id}/assignments/{assignment_id}/invite").status_code == 404
    assert api.delete(f"/events/{other_event.id}/assignments/{assignment_id}").status_code == 404
    assert not Outbox.select().exists()
