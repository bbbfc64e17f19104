"""Participant groups: the group a registration joins, products per group, a group's capacity, how
people join it (open, invited only, request acceptance, accept limit), moves between groups."""

from __future__ import annotations

from tests.conftest import Auth
from tests.factories.accounts import make_member, make_org, make_user
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_registrant
from tests.orders.helpers import form, register_url
from webapp.accounts.audit import AuditEntry
from webapp.catalog import groups as catalog_groups
from webapp.catalog.models import ParticipantGroup
from webapp.orders import invitations
from webapp.orders.models import Invitation, Order, Registrant


def _event(**kwargs):
    org = make_org()
    event = make_event(org, **kwargs)
    return org, event, make_product(event, name="Regular", price=0)


def _group(event, **data) -> ParticipantGroup:
    return catalog_groups.create(event, {"name": "Speakers", **data}, actor=None)


def _link(event, group) -> str:
    return f"{register_url(event)}?group={group.key}"


def test_the_event_page_registers_into_the_default_group_and_a_group_link_into_its_group(client):
    org, event, ticket = _event()
    speakers = _group(event)
    assert client.post(register_url(event), data=form({ticket: 1})).status_code == 303
    assert client.post(register_url(event), data=form({ticket: 1}, group=speakers.key)).status_code == 303
    default = catalog_groups.default_group(event)
    assert default.name == "Attendees" and default.is_default
    joined = [r.group_id for r in Registrant.select().order_by(Registrant.id)]
    assert joined == [default.id, speakers.id]


def test_a_product_limited_to_a_group_is_offered_only_on_its_link(client):
    org, event, ticket = _event()
    speaker_pass = make_product(event, name="Speaker pass", price=0)
    speakers = _group(event, product_ids=[str(speaker_pass.id)])
    public = client.get(register_url(event)).get_data(as_text=True)
    assert "Regular" in public and "Speaker pass" not in public
    own = client.get(_link(event, speakers)).get_data(as_text=True)
    assert "Speaker pass" in own and "Regular" not in own
    # Posting the product's field without the link does not buy it.
    refused = client.post(register_url(event), data=form({speaker_pass: 1}))
    assert refused.status_code == 422 and not Order.select().exists()
    assert client.post(register_url(event), data=form({speaker_pass: 1}, group=speakers.key)).status_code == 303
    assert Registrant.get().group_id == speakers.id


def test_a_full_group_refuses_while_the_event_still_has_seats(client):
    org, event, ticket = _event(capacity=100)
    press = _group(event, name="Press", capacity="2")
    assert (
        client.post(register_url(event), data=form({ticket: 2}, group=press.key, **{"a1-name": "Budi"})).status_code
        == 303
    )
    full = client.post(register_url(event), data=form({ticket: 1}, group=press.key, buyer_email="late@example.org"))
    assert full.status_code == 422 and "This group is full." in full.get_data(as_text=True)
    # The default group still takes people.
    assert client.post(register_url(event), data=form({ticket: 1}, buyer_email="b@example.org")).status_code == 303
    assert Registrant.select().where(Registrant.group == press.id).count() == 2


def test_an_invited_only_group_needs_an_invitation_naming_it(client):
    org, event, ticket = _event()
    vip = _group(event, name="VIP", registration="invited")
    page = client.get(_link(event, vip)).get_data(as_text=True)
    assert "by invitation only" in page
    assert client.post(register_url(event), data=form({ticket: 1}, group=vip.key)).status_code == 422
    other = invitations.create(event, email="x@example.org", send=False, actor=None)  # the default group's
    assert client.post(register_url(event), data=form({ticket: 1}, group=vip.key, invite=other.code)).status_code == 422
    invitation = invitations.create(event, email="vip@example.org", send=False, actor=None, group_id=vip.id)
    assert client.post(register_url(event), data=form({ticket: 1}, invite=invitation.code)).status_code == 303
    assert Registrant.get().group_id == vip.id


def test_request_acceptance_groups_put_registrations_in_awaiting_acceptance(client):
    org, event, ticket = _event()
    press = _group(event, name="Press", registration="acceptance")
    client.post(register_url(event), data=form({ticket: 1}, group=press.key))
    order = Order.get()
    assert order.approval == "pending" and order.status == "pending" and order.expires_at is None
    client.post(register_url(event), data=form({ticket: 1}, buyer_email="open@example.org"))
    assert Order.get(Order.buyer_email == "open@example.org").approval == "none"


def test_accept_limit_accepts_the_first_ones_then_asks_the_operator(client):
    org, event, ticket = _event()
    group = _group(event, name="Community", registration="accept_limit", accept_limit="2")
    for n in range(3):
        client.post(register_url(event), data=form({ticket: 1}, group=group.key, buyer_email=f"p{n}@example.org"))
    approvals = [o.approval for o in Order.select().order_by(Order.id)]
    assert approvals == ["none", "none", "pending"]


def test_operators_move_people_one_by_one_and_in_bulk_with_audit(app, auth):
    org, event, ticket = _event()
    user = make_member(org, "manager", make_user())
    client = auth.client_for(user, org)
    speakers = _group(event, capacity="2")
    people = [make_registrant(event, ticket) for _ in range(3)]
    move = f"/console/events/{event.id}/groups/move"
    response = client.post(move, data={"ids": [people[0].id], "group_id": speakers.id})
    assert response.status_code == 303
    assert Registrant.get_by_id(people[0].id).group_id == speakers.id
    # Two more do not fit in a group of two.
    response = client.post(move, data={"ids": [people[1].id, people[2].id], "group_id": speakers.id})
    assert Registrant.select().where(Registrant.group == speakers.id).count() == 1
    bulk = client.post(
        f"/console/events/{event.id}/registrants/bulk",
        data={"action": "move", "group_id": speakers.id, "ids": [people[1].id], "scope": "selected"},
    )
    assert bulk.status_code == 303
    assert Registrant.get_by_id(people[1].id).group_id == speakers.id
    moves = AuditEntry.select().where(AuditEntry.action == "registrant.move_group")
    assert moves.count() == 2 and all(e.summary == "Attendees → Speakers" for e in moves)


def test_another_organizations_registrants_and_groups_cannot_be_moved(app, auth):
    org, event, ticket = _event()
    user = make_member(org, "manager", make_user())
    client = auth.client_for(user, org)
    other_org, other_event, other_ticket = _event()
    stranger = make_registrant(other_event, other_ticket)
    foreign_group = _group(other_event)
    mine = _group(event)
    move = f"/console/events/{event.id}/groups/move"
    client.post(move, data={"ids": [stranger.id], "group_id": mine.id})
    assert Registrant.get_by_id(stranger.id).group_id is None
    assert client.post(move, data={"ids": [stranger.id], "group_id": foreign_group.id}).status_code == 404
    assert client.get(f"/console/events/{other_event.id}/groups/").status_code in (403, 404)
    assert client.get(f"/console/events/{event.id}/groups/{foreign_group.id}").status_code == 404


def test_the_groups_page_sets_groups_up_and_refuses_bad_input_beside_the_field(app, auth):
    org, event, ticket = _event()
    client = auth.client_for(make_member(org, "manager", make_user()), org)
    base = f"/console/events/{event.id}/groups/"
    page = client.get(base).get_data(as_text=True)
    assert "Attendees" in page and "Add a group" in page
    created = client.post(base, data={"name": "Sponsors", "capacity": "40", "registration": "acceptance"})
    assert created.status_code == 303
    sponsors = ParticipantGroup.get(ParticipantGroup.name == "Sponsors")
    assert sponsors.capacity == 40 and sponsors.registration == "acceptance"
    page = client.get(base).get_data(as_text=True)
    assert f"group={sponsors.key}" in page
    for data, message in (
        ({"name": ""}, "Enter a name."),
        ({"name": "sponsors"}, "This event has a group with this name already."),
        ({"name": "Crew", "capacity": "99999999999999999999"}, "Enter a whole number"),
        ({"name": "Crew", "capacity": "-1"}, "Enter a whole number"),
        ({"name": "Crew", "registration": "whatever"}, "Choose how people join this group."),
        ({"name": "Crew", "registration": "accept_limit"}, "Enter how many registrations are accepted at once."),
        ({"name": "Crew", "product_ids": ["999999"]}, "Choose products of this event."),
        ({"name": "Crew\x00"}, ""),
    ):
        response = client.post(base, data=data)
        assert response.status_code in (400, 422), data
        assert message in response.get_data(as_text=True)
    # A lone surrogate (as a browser could send it, percent-encoded) is never a 500.
    raw = client.post(base, data=b"name=Bad%ED%A0%80", content_type="application/x-www-form-urlencoded")
    assert raw.status_code in (303, 400, 422)
    assert client.get(base + "not-a-number").status_code == 404
    assert client.delete(base).status_code == 405
    edited = client.post(f"{base}{sponsors.id}", data={"name": "Sponsors", "registration": "open"})
    assert edited.status_code == 303 and ParticipantGroup.get_by_id(sponsors.id).registration == "open"
    old_key = sponsors.key
    client.post(f"{base}{sponsors.id}/new-link")
    assert ParticipantGroup.get_by_id(sponsors.id).key != old_key
    client.post(f"{base}{sponsors.id}/remove")
    assert not ParticipantGroup.select().where(ParticipantGroup.name == "Sponsors").exists()
    default = catalog_groups.default_group(event)
    client.post(f"{base}{default.id}/remove")
    assert ParticipantGroup.get_by_id(default.id)
    actions = {e.action for e in AuditEntry.select()}
    assert {"group.create", "group.update", "group.new_link", "group.remove"} <= actions


def test_a_group_with_registrants_is_not_removed(app, auth):
    org, event, ticket = _event()
    client = auth.client_for(make_member(org, "manager", make_user()), org)
    speakers = _group(event)
    person = make_registrant(event, ticket)
    Registrant.update(group=speakers.id).where(Registrant.id == person.id).execute()
    client.post(f"/console/events/{event.id}/groups/{speakers.id}/remove")
    assert ParticipantGroup.get_by_id(speakers.id)


def test_a_staff_grant_moves_people_but_does_not_set_groups_up(app):
    from webapp.accounts.models import EventGrant

    org, event, ticket = _event()
    user = make_member(org, "member", make_user())
    EventGrant.create(organization=org, event_id=event.id, user=user, role="staff")
    client = Auth(app).client_for(user, org)
    assert client.get(f"/console/events/{event.id}/groups/").status_code == 200
    assert client.post(f"/console/events/{event.id}/groups/", data={"name": "X"}).status_code in (403, 404)
    assert not Invitation.select().exists()


def test_the_registrant_page_shows_the_state_and_group_and_moves_them(app, auth):
    org, event, ticket = _event()
    client = auth.client_for(make_member(org, "manager", make_user()), org)
    speakers = _group(event)
    person = make_registrant(event, ticket)
    url = f"/console/events/{event.id}/registrants/{person.id}"
    page = client.get(url).get_data(as_text=True)
    assert "registered" in page and "Attendees" in page and "Speakers" in page
    moved = client.post(f"/console/events/{event.id}/groups/move", data={"ids": person.id, "group_id": speakers.id,
                                                                          "next": url})  # fmt: skip
    assert moved.status_code == 303 and moved.headers["Location"].endswith(url)
    assert Registrant.get_by_id(person.id).group_id == speakers.id
    evil = client.post(f"/console/events/{event.id}/groups/move",
                       data={"ids": person.id, "group_id": speakers.id, "next": "//evil.example/"})  # fmt: skip
    assert "evil.example" not in evil.headers["Location"]


def test_the_landing_page_lists_a_groups_products_only_on_its_link(client):
    org, event, ticket = _event()
    speaker_pass = make_product(event, name="Speaker pass", price=0)
    landing = f"/e/{event.organization.slug}/{event.slug}"
    assert "Speaker pass" in client.get(landing).get_data(as_text=True)
    speakers = _group(event, product_ids=[str(speaker_pass.id)])
    assert "Speaker pass" not in client.get(landing).get_data(as_text=True)  # the cached copy is not served
    assert "Speaker pass" in client.get(f"{landing}?group={speakers.key}").get_data(as_text=True)
