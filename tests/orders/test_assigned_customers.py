"""Contacts assigned to an event: listed on the event's page, invited in one click, shown on the
contact's page."""

from __future__ import annotations

from tests.factories.accounts import make_member, make_org, make_user
from tests.factories.contacts import make_contact
from tests.factories.events import make_event
from tests.factories.orders import make_registrant
from webapp.accounts.audit import AuditEntry
from webapp.accounts.models import EventGrant
from webapp.mail.models import Outbox
from webapp.orders.models import EventAssignment, Invitation


def _setup(auth, role="manager"):
    org = make_org()
    user = make_member(org, role, make_user(name="Rina Account"))
    event = make_event(org, name="Sponsor Dinner", invite_only=True)
    contact = make_contact(org, email="key.customer@example.org", name="Key Customer", company="PT Maju")
    return org, event, contact, auth.client_for(user, org)


def test_an_assigned_contact_gets_an_invitation_in_one_click(app, auth):
    org, event, contact, client = _setup(auth)
    base = f"/console/events/{event.id}/assigned/"
    response = client.post(base, data={"email": "Key.Customer@example.org ", "note": "Renewal due in March"})
    assert response.status_code == 303
    page = client.get(base).get_data(as_text=True)
    assert "Key Customer" in page and "Renewal due in March" in page and "Rina Account" in page
    assert "not invited" in page
    assert not Outbox.select().where(Outbox.kind == "invitation").exists()

    assignment = EventAssignment.get()
    assert client.post(f"{base}{assignment.id}/invite").status_code == 303
    mail = Outbox.get(Outbox.kind == "invitation")
    invitation = Invitation.get(Invitation.email == "key.customer@example.org")
    assert mail.to_email == "key.customer@example.org" and f"invite={invitation.code}" in mail.text_body
    assert EventAssignment.get_by_id(assignment.id).invitation_id == invitation.id
    assert "invited" in client.get(base).get_data(as_text=True)

    # A second click sends the same invitation again, not a new one.
    client.post(f"{base}{assignment.id}/invite")
    assert Invitation.select().count() == 1
    assert Outbox.select().where(Outbox.kind == "invitation").count() == 2
    actions = {e.action for e in AuditEntry.select()}
    assert {"event.assign", "invitation.create"} <= actions


def test_the_assignment_shows_on_the_contact_page(app, auth):
    org, event, contact, client = _setup(auth)
    client.post(f"/console/events/{event.id}/assigned/", data={"email": contact.email, "note": "VIP table"})
    page = client.get(f"/console/contacts/{contact.id}").get_data(as_text=True)
    assert "Assigned to events" in page and "Sponsor Dinner" in page
    assert "assigned by Rina Account" in page and "VIP table" in page


def test_a_contact_who_registered_is_shown_as_registered(app, auth):
    org, event, contact, client = _setup(auth)
    client.post(f"/console/events/{event.id}/assigned/", data={"email": contact.email})
    registrant = make_registrant(event, buyer_email=contact.email, buyer_name="Key Customer")
    registrant.contact = contact.id
    registrant.save()
    page = client.get(f"/console/events/{event.id}/assigned/").get_data(as_text=True)
    assert "registered" in page and "Send invitation" not in page


def test_unknown_contacts_duplicates_and_long_notes_are_refused_beside_the_field(app, auth):
    org, event, contact, client = _setup(auth)
    base = f"/console/events/{event.id}/assigned/"
    response = client.post(base, data={"email": "nobody@example.org"})
    assert response.status_code == 422
    assert "No contact with this address in the Contact Book." in response.get_data(as_text=True)
    other_org_contact = make_contact(make_org(), email="elsewhere@example.org")
    assert client.post(base, data={"email": other_org_contact.email}).status_code == 422
    assert client.post(base, data={"email": contact.email, "note": "x" * 501}).status_code == 422
    assert client.post(base, data={"email": contact.email}).status_code == 303
    again = client.post(base, data={"email": contact.email})
    assert again.status_code == 422 and "already assigned" in again.get_data(as_text=True)
    assert client.post(base, data={"email": "a\x00b"}).status_code in (400, 422)
    assert EventAssignment.select().count() == 1


def test_another_events_assignment_cannot_be_invited_or_removed(app, auth):
    org, event, contact, client = _setup(auth)
    other = make_event(org)
    client.post(f"/console/events/{other.id}/assigned/", data={"email": contact.email})
    assignment = EventAssignment.get()
    assert client.post(f"/console/events/{event.id}/assigned/{assignment.id}/invite").status_code == 404
    assert client.post(f"/console/events/{event.id}/assigned/{assignment.id}/remove").status_code == 404
    assert not Outbox.select().exists()
    assert client.post(f"/console/events/{other.id}/assigned/{assignment.id}/remove").status_code == 303
    assert not EventAssignment.select().exists()


def test_a_guide_cannot_see_the_assigned_customers(app, auth):
    org, event, contact, _ = _setup(auth)
    guide = make_member(org, "member")
    EventGrant.create(organization=org, event_id=event.id, user=guide, role="guide")
    assert auth.client_for(guide, org).get(f"/console/events/{event.id}/assigned/").status_code == 403


def test_the_page_and_its_errors_speak_indonesian(app, auth):
    org, event, contact, client = _setup(auth)
    response = client.post(
        f"/console/events/{event.id}/assigned/", data={"email": "nobody@example.org"}, headers={"Accept-Language": "id"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Tidak ada kontak dengan alamat ini di Buku Kontak." in page and "Tugaskan kontak" in page
