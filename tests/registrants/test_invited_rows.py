"""Invitations without a registration are participants "invited" or "declined" on the registrant
list: rows there, filtered by state and group, counted as the groups' counts count them, in the
console and in the API."""

from __future__ import annotations

import re

from tests.factories.accounts import make_member, make_org, make_user
from tests.factories.api import ApiClient, make_api_key
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_registrant
from webapp.catalog import groups as catalog_groups
from webapp.orders import invitations, states
from webapp.orders.models import Invitation, Registrant
from webapp.registrants import listing


def _event_with_invitations():
    org = make_org()
    event = make_event(org)
    ticket = make_product(event, name="Regular")
    speakers = catalog_groups.create(event, {"name": "Speakers"}, actor=None)
    make_registrant(event, ticket, buyer_name="Ana Registered", buyer_email="ana@example.org")
    make_registrant(event, ticket, buyer_name="Dedi Declined", status="canceled", approval="declined")
    invitations.create(event, email="sari@example.org", name="Sari Speaker", group_id=speakers.id, actor=None)
    declined = invitations.create(event, email="budi@example.org", name="Budi Busy", actor=None)
    invitations.decline(declined)
    used = invitations.create(event, email="used@example.org", name="Used Up", actor=None)
    Invitation.update(times_used=1).where(Invitation.id == used.id).execute()
    revoked = invitations.create(event, email="gone@example.org", name="Gone Away", actor=None)
    invitations.revoke(revoked, actor=None)
    invitations.create(event, max_uses=20, send=False, actor=None)  # a shared code: nobody in particular
    return org, event, ticket, speakers


def test_the_console_list_shows_invitations_as_rows_filtered_by_state_and_group(app, auth):
    org, event, ticket, speakers = _event_with_invitations()
    client = auth.client_for(make_member(org, "manager", make_user()), org)
    base = f"/console/events/{event.id}/registrants"
    everyone = client.get(base).get_data(as_text=True)
    assert "Sari Speaker" in everyone and "Budi Busy" in everyone and "Ana Registered" in everyone
    assert "Used Up" not in everyone and "Gone Away" not in everyone
    assert "<strong>4</strong>" in everyone and "2 of them are invitations without a registration yet" in everyone
    invited = client.get(f"{base}?state=invited").get_data(as_text=True)
    assert "Sari Speaker" in invited and "Budi Busy" not in invited and "Ana Registered" not in invited
    assert "<strong>1</strong>" in invited and 'class="badge state-invited">invited<' in invited
    default = catalog_groups.default_group(event)
    declined = client.get(f"{base}?state=declined&group={default.id}").get_data(as_text=True)
    assert "Budi Busy" in declined and "Dedi Declined" in declined and "Sari Speaker" not in declined
    assert "<strong>2</strong>" in declined
    assert "Sari Speaker" in client.get(f"{base}?group={speakers.id}").get_data(as_text=True)
    assert "Sari Speaker" in client.get(f"{base}?q=sari").get_data(as_text=True)
    by_ticket = client.get(f"{base}?product={ticket.id}").get_data(as_text=True)
    assert "Sari Speaker" not in by_ticket and "Ana Registered" in by_ticket


def test_the_list_matches_the_groups_counts_for_every_group_and_state(app):
    org, event, ticket, speakers = _event_with_invitations()
    for group in catalog_groups.groups_of(event):
        counts = states.counts(event, group)
        for state in states.STATES:
            filters = listing.RegistrantFilters(group=group.id, state=state)
            found = listing.page(org.id, event, filters)
            assert found.total == len(found.rows) + len(found.invitations) == counts[state], (group.name, state)


def test_paging_runs_from_the_registrants_into_the_invitations_and_back(app, monkeypatch):
    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    org = make_org()
    event = make_event(org)
    ticket = make_product(event)
    people = [make_registrant(event, ticket, buyer_name=f"Person {n}") for n in range(3)]
    invited = [invitations.create(event, email=f"guest{n}@example.org", actor=None) for n in range(3)]
    filters = listing.RegistrantFilters(sort="oldest")

    def names(found):
        return [r.id for r in found.rows] + [f"i{i.id}" for i in found.invitations]

    first = listing.page(org.id, event, filters)
    second = listing.page(org.id, event, filters, after=first.next_cursor)
    third = listing.page(org.id, event, filters, after=second.next_cursor)
    assert names(first) == [people[0].id, people[1].id]
    assert names(second) == [people[2].id, f"i{invited[0].id}"]
    assert names(third) == [f"i{invited[1].id}", f"i{invited[2].id}"] and third.next_cursor is None
    assert first.total == 6 and first.invitation_total == 3
    back = listing.page(org.id, event, filters, before=third.prev_cursor)
    assert names(back) == names(second)
    assert names(listing.page(org.id, event, filters, before=back.prev_cursor)) == names(first)


def test_the_api_list_carries_invitations_when_asked_and_by_state(app, client):
    org, event, ticket, speakers = _event_with_invitations()
    _, token = make_api_key(org)
    api = ApiClient(client, token)
    url = f"/events/{event.id}/registrants"
    plain = api.get(url).json["data"]
    assert {item["kind"] for item in plain} == {"registrant"} and len(plain) == 2
    invited = api.get(url, state="invited", group_id=speakers.id).json["data"]
    assert [(i["kind"], i["email"], i["state"], i["group_id"]) for i in invited] == [
        ("invitation", "sari@example.org", "invited", speakers.id)
    ]
    assert invited[0]["order_id"] is None and invited[0]["invitation_code"]
    groups = {g["id"]: g["states"] for g in api.get(f"/events/{event.id}/groups").json["items"]}
    for group_id, counts in groups.items():
        for state, n in counts.items():
            listed = api.get(url, state=state, group_id=group_id, limit=500).json["data"]
            assert len(listed) == n, (group_id, state)
    first = api.get(url, include_invitations="true", limit=3).json
    assert [i["kind"] for i in first["data"]] == ["registrant", "registrant", "invitation"]
    rest = api.get(url, include_invitations="true", limit=3, cursor=first["next_cursor"]).json
    assert [i["kind"] for i in rest["data"]] == ["invitation"] and rest["next_cursor"] is None
    assert re.fullmatch(r"i\d+", first["next_cursor"])
    assert api.get(url, include_invitations="true", product_id=ticket.id).json["data"][0]["kind"] == "registrant"
    assert len(api.get(url, include_invitations="true", product_id=ticket.id).json["data"]) == 2
    assert api.get(url, cursor="x1").status_code == 422
    assert Registrant.select().count() == 2


def test_invitation_rows_speak_indonesian(app, auth):
    from webapp.accounts.models import User

    org, event, ticket, speakers = _event_with_invitations()
    user = make_member(org, "manager", make_user())
    User.update(language="id").where(User.id == user.id).execute()
    page = auth.client_for(user, org).get(f"/console/events/{event.id}/registrants").get_data(as_text=True)
    assert "2 di antaranya adalah undangan yang belum mendaftar" in page and "Undangan dikirim" in page
