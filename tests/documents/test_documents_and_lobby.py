"""Event documents and the ticket holder's lobby: uploads checked, downloads authorized on every
request (operators by event access; attendees by their order link and group), the lobby's parts
and when the online link shows."""

from __future__ import annotations

import datetime as dt

from tests.factories.accounts import make_member, make_org, make_user
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_order
from webapp.accounts.audit import AuditEntry
from webapp.accounts.models import EventGrant
from webapp.catalog import groups as catalog_groups
from webapp.db import utcnow
from webapp.documents import service as documents
from webapp.documents.models import Document
from webapp.events import announcements
from webapp.events.models import Event
from webapp.orders import lobby
from webapp.orders.models import Registrant
from webapp.storage import storage

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _event(**kwargs):
    org = make_org()
    event = make_event(org, **kwargs)
    return org, event, make_product(event, name="Regular", price=0)


def _speakers_guide(event, speakers):
    return documents.upload(
        event, filename="Speaker guide.pdf", data=PDF, visibility="groups", group_ids=[speakers.id], actor=None
    )


def test_an_operator_uploads_and_downloads_a_document_and_bad_files_are_refused(app, auth):
    org, event, ticket = _event()
    client = auth.client_for(make_member(org, "manager", make_user()), org)
    base = f"/console/events/{event.id}/lobby/"
    page = client.get(base).get_data(as_text=True)
    assert "No documents yet" in page and "No announcements yet." in page
    response = client.post(
        base + "documents", data={"file": (__import__("io").BytesIO(PDF), "Floor plan.pdf"), "title": ""},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 303
    document = Document.get()
    assert document.title == "Floor plan" and document.visibility == "operators" and document.size == len(PDF)
    assert storage().read(document.storage_key) == PDF
    got = client.get(f"/console/documents/{document.id}/download")
    assert got.status_code == 200 and got.data == PDF and got.mimetype == "application/pdf"
    assert 'filename="Floor plan.pdf"' in got.headers["Content-Disposition"]
    for name, data, message in (
        ("evil.exe", b"MZ....", "Upload a PDF"),
        ("fake.pdf", b"<html>not a pdf</html>", "does not match its type"),
        ("empty.pdf", b"", "The file is empty."),
        ("big.pdf", b"%PDF-" + b"0" * (documents.MAX_BYTES + 1), "larger than"),
        ("notes.txt", b"\xff\xfe\x00bad", "UTF-8"),
    ):
        refused = client.post(
            base + "documents",
            data={"file": (__import__("io").BytesIO(data), name)},
            content_type="multipart/form-data",
        )
        assert refused.status_code == 422, name
        assert message in refused.get_data(as_text=True), name
    groups_refused = client.post(
        base + "documents", data={"file": (__import__("io").BytesIO(PDF), "a.pdf"), "visibility": "groups"},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert groups_refused.status_code == 422 and "Choose at least one group" in groups_refused.get_data(as_text=True)
    assert Document.select().count() == 1
    client.post(f"/console/documents/{document.id}/remove")
    assert not Document.select().exists() and not storage().exists(document.storage_key)
    assert {"document.upload", "document.remove"} <= {e.action for e in AuditEntry.select()}


def test_document_downloads_are_refused_to_other_organizations_other_groups_and_no_order(app, auth, client):
    org, event, ticket = _event()
    speakers = catalog_groups.create(event, {"name": "Speakers"}, actor=None)
    guide = _speakers_guide(event, speakers)
    attendee_order = make_order(event, {ticket: 1})
    speaker_order = make_order(event, {ticket: 1})
    Registrant.update(group=speakers.id).where(Registrant.order == speaker_order.id).execute()

    assert client.get(f"/o/{speaker_order.secret}/documents/{guide.id}").data == PDF
    assert client.get(f"/o/{attendee_order.secret}/documents/{guide.id}").status_code == 404  # other group
    assert client.get(f"/o/not-an-order/documents/{guide.id}").status_code == 404  # no order
    assert client.get(f"/console/documents/{guide.id}/download").status_code in (302, 401)

    other_org, other_event, other_ticket = _event()
    stranger = auth.client_for(make_member(other_org, "manager", make_user()), other_org)
    assert stranger.get(f"/console/documents/{guide.id}/download").status_code == 404
    other_order = make_order(other_event, {other_ticket: 1})
    assert client.get(f"/o/{other_order.secret}/documents/{guide.id}").status_code == 404  # another event's order

    # Hidden again, or the order canceled: the same link stops working at once.
    documents.update(guide, title=guide.title, visibility="operators", group_ids=[], actor=None)
    assert client.get(f"/o/{speaker_order.secret}/documents/{guide.id}").status_code == 404
    documents.update(guide, title=guide.title, visibility="groups", group_ids=[speakers.id], actor=None)
    speaker_order.status = "canceled"
    speaker_order.save()
    assert client.get(f"/o/{speaker_order.secret}/documents/{guide.id}").status_code == 404


def test_a_guide_grant_downloads_but_cannot_upload(app, auth):
    org, event, ticket = _event()
    guide = make_member(org, "member", make_user())
    EventGrant.create(organization=org, event_id=event.id, user=guide, role="guide")
    client = auth.client_for(guide, org)
    document = documents.upload(event, filename="plan.pdf", data=PDF, actor=None)
    assert client.get(f"/console/documents/{document.id}/download").data == PDF
    refused = client.post(
        f"/console/events/{event.id}/lobby/documents", data={"file": (__import__("io").BytesIO(PDF), "x.pdf")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert refused.status_code in (403, 404) and Document.select().count() == 1


def test_the_lobby_shows_the_ticket_holders_group_documents_news_and_links(app, client):
    org, event, ticket = _event(description_md="## Day one\n\nKeynote at nine.", timezone="Asia/Jakarta")
    event.venue_map_url = "https://maps.example.org/hall"
    event.save()
    speakers = catalog_groups.create(event, {"name": "Speakers"}, actor=None)
    _speakers_guide(event, speakers)
    documents.upload(event, filename="Attendee FAQ.pdf", data=PDF, visibility="groups",
                     group_ids=[catalog_groups.default_group(event).id], actor=None)  # fmt: skip
    documents.upload(event, filename="Budget.pdf", data=PDF, actor=None)  # operators only
    announcements.post(event, "Doors open at 8:30.", actor=None)
    announcements.post(event, "Parking is full: take the train.", actor=None)
    order = make_order(event, {ticket: 1})
    page = client.get(f"/o/{order.secret}").get_data(as_text=True)
    assert "Your event lobby" in page and "Keynote at nine." in page
    assert "Attendee FAQ" in page and "Speaker guide" not in page and "Budget" not in page
    assert page.index("Parking is full") < page.index("Doors open at 8:30.")  # newest first
    assert "https://maps.example.org/hall" in page and "calendar.ics" in page
    assert "Download tickets (PDF)" in page


def test_no_lobby_before_the_order_admits_anyone(app, client):
    org, event, ticket = _event()
    announcements.post(event, "Secret news.", actor=None)
    pending = make_order(event, {ticket: 1}, status="pending")
    awaiting = make_order(event, {ticket: 1}, status="pending", approval="pending", expires_at=None)
    for order in (pending, awaiting):
        page = client.get(f"/o/{order.secret}").get_data(as_text=True)
        assert "Your event lobby" not in page and "Secret news." not in page


def test_the_online_link_shows_from_the_set_time_before_the_start(app, client):
    start = utcnow().replace(microsecond=0) + dt.timedelta(hours=2)
    org, event, ticket = _event(starts_at=start, online_url="https://meet.example.org/room-1")
    order = make_order(event, {ticket: 1})
    room = lobby.for_order(order, now=start - dt.timedelta(minutes=31))
    assert room.join_url == "" and room.join_opens_at == start - dt.timedelta(minutes=30)
    assert lobby.for_order(order, now=start - dt.timedelta(minutes=30)).join_url == "https://meet.example.org/room-1"
    assert lobby.for_order(order, now=event.ends_at).join_url == ""  # over
    page = client.get(f"/o/{order.secret}").get_data(as_text=True)
    assert "meet.example.org" not in page and "appears here from" in page
    Event.update(join_link_opens_minutes=180).where(Event.id == event.id).execute()
    page = client.get(f"/o/{order.secret}").get_data(as_text=True)
    assert "https://meet.example.org/room-1" in page and "Join online" in page


def test_lobby_settings_and_announcements_refuse_bad_input_beside_the_field(app, auth):
    org, event, ticket = _event()
    client = auth.client_for(make_member(org, "manager", make_user()), org)
    base = f"/console/events/{event.id}/lobby/"
    for data, message in (
        ({"join_link_opens_minutes": "-5", "venue_map_url": ""}, "Enter a number of minutes"),
        ({"join_link_opens_minutes": "99999999999999999999", "venue_map_url": ""}, "Enter a number of minutes"),
        ({"join_link_opens_minutes": "15", "venue_map_url": "javascript:alert(1)"}, "starting with https://"),
    ):
        response = client.post(base + "settings", data=data)
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert (
        client.post(base + "settings", data={"join_link_opens_minutes": "15", "venue_map_url": ""}).status_code == 303
    )
    assert Event.get_by_id(event.id).join_link_opens_minutes == 15
    assert client.post(base + "announcements", data={"body": "  "}).status_code == 422
    assert client.post(base + "announcements", data={"body": "x" * 2001}).status_code == 422
    assert client.post(base + "announcements", data={"body": "<script>alert(1)</script>"}).status_code == 303
    page = client.get(base).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert client.post(base + "announcements/999999/remove").status_code == 404
