"""Participant states: derived the same way for one registrant and for a filter, shown on the
registrant list and the contact page; declining an invitation from its link; the acceptance flow
of a "request acceptance" group with its emails through a real SMTP server."""

from __future__ import annotations

import datetime as dt

from tests.conftest import Auth
from tests.factories.accounts import make_member, make_org, make_user
from tests.factories.catalog import make_product
from tests.factories.contacts import make_contact
from tests.factories.events import make_event
from tests.factories.orders import make_registrant
from tests.orders.helpers import form, register_url
from webapp.accounts.audit import AuditEntry
from webapp.catalog import groups as catalog_groups
from webapp.db import utcnow
from webapp.orders import invitations, states
from webapp.orders.models import Invitation, Order, Registrant


def _states_by_filter(event) -> dict[int, str]:
    """Each registrant's state as the SQL filter finds it."""
    found = {}
    for state in states.REGISTRANT_STATES:
        query = (
            Registrant.select(Registrant.id)
            .join(Order)
            .where((Registrant.event == event.id) & states.condition(state, event))
        )
        for row in query:
            assert row.id not in found, f"registrant {row.id} in {found[row.id]} and {state}"
            found[row.id] = state
    return found


def _people(event, ticket) -> dict[str, Registrant]:
    now = utcnow()
    made = {
        "registered": make_registrant(event, ticket),
        "pending_payment": make_registrant(event, ticket, status="pending"),
        "awaiting_acceptance": make_registrant(event, ticket, status="pending", approval="pending", expires_at=None),
        "accepted": make_registrant(event, ticket, approval="approved"),
        "declined": make_registrant(event, ticket, status="canceled", approval="declined"),
        "canceled": make_registrant(event, ticket, status="canceled"),
        "expired": make_registrant(event, ticket, status="expired"),
        "checked_in": make_registrant(event, ticket),
    }
    Registrant.update(checked_in_at=now).where(Registrant.id == made["checked_in"].id).execute()
    return {k: Registrant.get_by_id(r.id) for k, r in made.items()}


def test_each_state_is_derived_alike_for_one_registrant_and_for_the_filter(app):
    org = make_org()
    event = make_event(org)
    people = _people(event, make_product(event))
    expected = {
        "registered": "registered", "pending_payment": "registered", "awaiting_acceptance": "awaiting_acceptance",
        "accepted": "accepted", "declined": "declined", "canceled": "canceled", "expired": "canceled",
        "checked_in": "checked_in",
    }  # fmt: skip
    one_by_one = {k: states.of_registrant(r, r.order, event) for k, r in people.items()}
    assert one_by_one == expected
    assert _states_by_filter(event) == {people[k].id: v for k, v in expected.items()}


def test_after_the_event_a_paid_ticket_never_scanned_is_a_no_show(app):
    org = make_org()
    start = utcnow() - dt.timedelta(days=2)
    event = make_event(org, starts_at=start, ends_at=start + dt.timedelta(hours=8))
    people = _people(event, make_product(event))
    assert states.of_registrant(people["registered"], people["registered"].order, event) == "no_show"
    assert states.of_registrant(people["checked_in"], people["checked_in"].order, event) == "checked_in"
    by_filter = _states_by_filter(event)
    assert by_filter[people["registered"].id] == "no_show"
    assert by_filter[people["pending_payment"].id] == "registered"  # never paid: not a no-show


def test_the_registrant_list_filters_and_counts_by_group_and_state(app, auth):
    org = make_org()
    event = make_event(org)
    ticket = make_product(event)
    client = auth.client_for(make_member(org, "manager", make_user()), org)
    people = _people(event, ticket)
    speakers = catalog_groups.create(event, {"name": "Speakers"}, actor=None)
    Registrant.update(group=speakers.id).where(Registrant.id == people["accepted"].id).execute()
    base = f"/console/events/{event.id}/registrants"
    page = client.get(f"{base}?state=awaiting_acceptance").get_data(as_text=True)
    assert people["awaiting_acceptance"].name in page and people["registered"].name not in page
    assert "awaiting acceptance" in page
    page = client.get(f"{base}?group={speakers.id}").get_data(as_text=True)
    assert "<strong>1</strong>" in page and "Speakers" in page
    page = client.get(f"{base}?group={speakers.id}&state=registered").get_data(as_text=True)
    assert "No registrant matches these filters." in page
    assert client.get(f"{base}?state=nonsense&group=abc").status_code == 200
    groups_page = client.get(f"/console/events/{event.id}/groups/").get_data(as_text=True)
    assert "checked in: 1" in groups_page and "accepted: 1" in groups_page
    counts = states.counts(event, speakers)
    assert counts["accepted"] == 1 and sum(counts.values()) == 1


def test_the_contact_page_shows_the_state_of_each_registration(app, auth):
    org = make_org()
    event = make_event(org, name="Jakarta Summit")
    client = auth.client_for(make_member(org, "manager", make_user()), org)
    contact = make_contact(org, email="dewi@example.org")
    registrant = make_registrant(event, make_product(event), status="pending", approval="pending", expires_at=None)
    Registrant.update(contact=contact.id).where(Registrant.id == registrant.id).execute()
    page = client.get(f"/console/contacts/{contact.id}").get_data(as_text=True)
    assert "Jakarta Summit" in page and "awaiting acceptance" in page


def test_an_invitee_declines_from_the_invitation_link(client, app):
    org = make_org()
    event = make_event(org, invite_only=True)
    make_product(event)
    invitation = invitations.create(event, email="guest@example.org", name="Guest", actor=None)
    from webapp.mail.models import Outbox

    mail = Outbox.get(Outbox.kind == "invitation")
    assert f"/i/{invitation.code}/decline" in mail.text_body
    url = f"/i/{invitation.code}/decline"
    assert "I will not come" in client.get(url).get_data(as_text=True)
    assert states.counts(event)["invited"] == 1
    response = client.post(url)
    assert response.status_code == 200 and "Thank you for letting us know" in response.get_data(as_text=True)
    assert Invitation.get_by_id(invitation.id).declined_at is not None
    counts = states.counts(event)
    assert counts["declined"] == 1 and counts["invited"] == 0
    client.post(url)  # saying no twice records it once
    assert AuditEntry.select().where(AuditEntry.action == "invitation.decline").count() == 1
    assert client.get("/i/NOSUCHCODE/decline").status_code == 404
    assert client.get("/i/" + "A" * 300 + "/decline").status_code == 404
    shared = invitations.create(event, max_uses=5, actor=None)
    assert client.post(f"/i/{shared.code}/decline").status_code == 404


def test_a_used_invitation_cannot_be_declined(client, app):
    org = make_org()
    event = make_event(org, invite_only=True)
    ticket = make_product(event, price=0)
    invitation = invitations.create(event, email="guest@example.org", send=False, actor=None)
    assert client.post(register_url(event), data=form({ticket: 1}, invite=invitation.code)).status_code == 303
    assert client.post(f"/i/{invitation.code}/decline").status_code == 410
    assert Invitation.get_by_id(invitation.id).declined_at is None


def test_the_operator_accepts_and_declines_with_emails_to_the_person(mail_app):
    app, inbox = mail_app
    org = make_org()
    event = make_event(org, name="Press Day")
    ticket = make_product(event, price=0)
    press = catalog_groups.create(event, {"name": "Press", "registration": "acceptance"}, actor=None)
    client = app.test_client()
    for email in ("rina@example.org", "tono@example.org"):
        data = form({ticket: 1}, group=press.key, buyer_email=email)
        assert client.post(register_url(event), data=data).status_code == 303
    rina, tono = Order.select().order_by(Order.id)
    assert rina.approval == tono.approval == "pending"
    operator = Auth(app).client_for(make_member(org, "manager", make_user()), org)
    assert "rina@example.org" in operator.get(f"/console/events/{event.id}/approvals").get_data(as_text=True)
    operator.post(f"/console/orders/{rina.id}/approve")
    operator.post(f"/console/orders/{tono.id}/decline")
    assert Order.get_by_id(rina.id).status == "paid"  # free: accepted means admitted
    assert Order.get_by_id(tono.id).approval == "declined"
    inbox.wait_for(3)
    subjects = {(m["To"].addresses[0].addr_spec, m["Subject"]) for m in inbox.messages}
    assert ("rina@example.org", "You're in: Press Day") in subjects
    assert ("tono@example.org", "Your registration for Press Day") in subjects
    states_now = {o.buyer_email: states.of_registrant(o.registrants.get(), o, event) for o in Order.select()}
    assert states_now == {"rina@example.org": "accepted", "tono@example.org": "declined"}


def test_an_order_of_several_people_awaits_acceptance_as_one(client):
    org = make_org()
    event = make_event(org)
    ticket = make_product(event, price=0)
    press = catalog_groups.create(event, {"name": "Press", "registration": "acceptance"}, actor=None)
    client.post(register_url(event), data=form({ticket: 2}, group=press.key, **{"a1-name": "Budi"}))
    order = Order.get()
    assert [states.of_registrant(r, order, event) for r in order.registrants] == ["awaiting_acceptance"] * 2
