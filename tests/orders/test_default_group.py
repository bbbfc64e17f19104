"""Every event has its default participant group ("Attendees") from the moment it is made, through
the console, the API and the demo alike: a registration or a page view never writes one."""

from __future__ import annotations

from tests.factories.accounts import make_member, make_org
from tests.factories.api import ApiClient, make_api_key
from tests.factories.catalog import make_product
from tests.orders.helpers import form, register_url
from webapp.catalog.models import ParticipantGroup
from webapp.events.models import Event
from webapp.orders.models import Registrant

DETAILS = {
    "name": "Jakarta Dev Summit", "slug": "", "summary": "Talks", "description_md": "", "timezone": "Asia/Jakarta",
    "starts_at": "2030-03-06T09:00", "ends_at": "2030-03-06T17:00", "venue_name": "JCC", "venue_address": "",
    "online_url": "", "tags": "", "currency": "IDR", "language": "en",
}  # fmt: skip


def _groups(event_id: int) -> list[tuple[str, bool]]:
    rows = ParticipantGroup.select().where(ParticipantGroup.event == event_id).order_by(ParticipantGroup.id)
    return [(g.name, g.is_default) for g in rows]


def test_an_event_made_in_the_console_has_its_default_group_at_once(app, auth):
    org = make_org(timezone="Asia/Jakarta")
    client = auth.client_for(make_member(org, "manager"), org)
    assert client.post("/console/events/new", data=DETAILS).status_code == 303
    event = Event.get(Event.organization == org.id)
    assert _groups(event.id) == [("Attendees", True)]


def test_an_event_made_over_the_api_has_its_default_group_at_once(app, client):
    org = make_org()
    api = ApiClient(client, make_api_key(org)[1])
    body = {"name": "Summit", "starts_at": "2030-05-01T02:00:00Z", "ends_at": "2030-05-01T10:00:00Z"}
    event_id = api.post("/events", body).json["id"]
    assert _groups(event_id) == [("Attendees", True)]
    listed = api.get(f"/events/{event_id}/groups").json
    assert [(g["name"], g["is_default"]) for g in listed["items"]] == [("Attendees", True)]


def test_a_registration_on_a_new_event_joins_the_default_group_without_writing_one(app, auth, client):
    org = make_org(timezone="Asia/Jakarta")
    manager = auth.client_for(make_member(org, "manager"), org)
    manager.post("/console/events/new", data=DETAILS)
    event = Event.get(Event.organization == org.id)
    ticket = make_product(event, price=0)
    Event.update(status="published").where(Event.id == event.id).execute()
    default = ParticipantGroup.get(ParticipantGroup.event == event.id)
    answer = client.post(register_url(event), data=form({ticket: 2}, **{"a1-name": "Budi"}))
    assert answer.status_code == 303
    assert [g.id for g in ParticipantGroup.select()] == [default.id]  # nothing written by the registration
    assert [r.group_id for r in Registrant.select()] == [default.id, default.id]
