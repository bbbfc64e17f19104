"""An event's creator and responsible members: shown in the events list, filterable as "my events"."""

from __future__ import annotations

import re

from tests.events.test_event_setup import DETAILS
from tests.factories.accounts import make_member, make_org, make_user
from tests.factories.events import make_event
from webapp.accounts.audit import AuditEntry
from webapp.accounts.models import Membership
from webapp.events.models import Event, EventResponsible


def test_the_creator_of_an_event_is_kept_and_shown_in_the_list(app, auth):
    org = make_org()
    ana = make_member(org, "manager", make_user(name="Ana Creator"))
    client = auth.client_for(ana, org)
    assert client.post("/console/events/new", data=DETAILS).status_code == 303
    event = Event.get(Event.organization == org.id)
    assert event.created_by_id == ana.id
    listing = client.get("/console/events/?status=draft").get_data(as_text=True)
    assert "Created by Ana Creator" in listing


def test_responsible_members_are_set_on_the_team_page_and_listed(app, auth):
    org = make_org()
    manager = make_member(org, "manager")
    budi = make_member(org, "member", make_user(name="Budi Santoso"))
    citra = make_member(org, "door", make_user(name="Citra Dewi"))
    event = make_event(org, name="Partner Night")
    client = auth.client_for(manager, org)
    response = client.post(f"/console/events/{event.id}/team/responsible", data={"responsible": [budi.id, citra.id]})
    assert response.status_code == 303
    listing = client.get("/console/events/").get_data(as_text=True)
    assert "Budi Santoso, Citra Dewi" in listing
    entry = AuditEntry.get(AuditEntry.action == "event.responsible")
    assert entry.changes["responsible"][1] == sorted([budi.email, citra.email])
    team = client.get(f"/console/events/{event.id}/team/").get_data(as_text=True)
    ticked = {int(v) for v in re.findall(r'<input checked[^>]*value="(\d+)"', team)}
    assert ticked == {budi.id, citra.id}

    # A member who leaves the organization is no longer shown as responsible.
    Membership.delete().where((Membership.user == citra.id) & (Membership.organization == org.id)).execute()
    assert "Citra Dewi" not in client.get("/console/events/").get_data(as_text=True)

    # Unticking everyone leaves no one responsible.
    client.post(f"/console/events/{event.id}/team/responsible", data={})
    assert EventResponsible.select().count() == 0
    assert "No one responsible" in client.get("/console/events/").get_data(as_text=True)


def test_only_members_of_the_organization_can_be_responsible(app, auth):
    org = make_org()
    client = auth.client_for(make_member(org, "manager"), org)
    outsider = make_member(make_org(), "owner")
    event = make_event(org)
    response = client.post(f"/console/events/{event.id}/team/responsible", data={"responsible": [outsider.id]})
    assert response.status_code == 422
    assert not EventResponsible.select().exists()
    response = client.post(f"/console/events/{event.id}/team/responsible", data={"responsible": ["x"]})
    assert response.status_code == 422


def test_my_events_lists_what_i_created_or_am_responsible_for(app, auth):
    org = make_org()
    me = make_member(org, "manager")
    colleague = make_member(org, "manager")
    make_event(org, name="Created By Me", created_by=me)
    responsible_for = make_event(org, name="Given To Me", created_by=colleague)
    EventResponsible.create(organization=org, event=responsible_for, user=me)
    make_event(org, name="Someone Else's", created_by=colleague)
    client = auth.client_for(me, org)
    everything = client.get("/console/events/").get_data(as_text=True)
    assert "Someone Else&#39;s" in everything or "Someone Else's" in everything
    mine = client.get("/console/events/?mine=1").get_data(as_text=True)
    assert "Created By Me" in mine and "Given To Me" in mine
    assert "Someone Else" not in mine
    assert client.get("/console/events/?mine=1", headers={"HX-Request": "true"}).status_code == 200
