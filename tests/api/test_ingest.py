from __future__ import annotations

from webapp.contacts.ingest_models import IncomingEvent
from webapp.contacts.models import Activity, Contact


def test_one_event_creates_the_contact_and_a_timeline_entry(api, org):
    response = api.post("/client/events", {"type": "signup", "email": "Ana@Example.org", "properties": {"plan": "pro"}})
    assert response.status_code == 202, response.json
    assert response.json["duplicate"] is False
    contact = Contact.get((Contact.organization == org.id) & (Contact.email == "ana@example.org"))
    activity = Activity.get(Activity.contact == contact.id)
    assert activity.kind == "signup"
    assert activity.data["properties"] == {"plan": "pro"}
    row = IncomingEvent.get_by_id(response.json["id"])
    assert (row.status, row.contact_id, row.activity_id) == ("processed", contact.id, activity.id)
