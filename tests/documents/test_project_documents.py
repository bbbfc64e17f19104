"""A project's documents: the same documents as an event's (one upload check, one storage, one
download route family authorized on every request), kept for operators or shared with the ticket
holders of the project's events in their lobby."""

from __future__ import annotations

import io
import zipfile

import peewee
import pytest

from tests.factories.accounts import make_member, make_org, make_user
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_order
from webapp.accounts.audit import AuditEntry
from webapp.accounts.models import EventGrant
from webapp.db import db
from webapp.documents import service as documents
from webapp.documents.models import Document
from webapp.projects import service as projects
from webapp.storage import storage

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def summit(app):
    """A project over one event (Jakarta); another event of the organization stays outside it."""
    org = make_org()
    manager = make_member(org, "manager", make_user())
    jakarta = make_event(org, name="Day one Jakarta")
    outside = make_event(org, name="Other Gala")
    project = projects.create(org.id, "Summit 2027", actor=manager)
    projects.link_event(project, jakarta.id, actor=manager)
    return {
        "org": org, "manager": manager, "project": project, "jakarta": jakarta, "outside": outside,
        "owner": documents.Owner.of_project(project),
    }  # fmt: skip


def _upload(client, project_id: int, name: str, data: bytes, **form):
    return client.post(
        f"/console/projects/{project_id}/documents", data={"file": (io.BytesIO(data), name), **form},
        content_type="multipart/form-data",
    )  # fmt: skip


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def test_a_manager_uploads_downloads_and_removes_a_project_document(auth, summit):
    client = auth.client_for(summit["manager"], summit["org"])
    pid = summit["project"].id
    assert "No documents yet" in client.get(f"/console/projects/{pid}/documents").get_data(as_text=True)
    assert _upload(client, pid, "Sponsor brief.pdf", PDF).status_code == 303
    document = Document.get()
    assert (document.project_id, document.event_id, document.title) == (pid, None, "Sponsor brief")
    assert document.visibility == "operators" and storage().read(document.storage_key) == PDF
    page = client.get(f"/console/projects/{pid}/documents").get_data(as_text=True)
    assert "Sponsor brief" in page and f"/console/documents/{document.id}/download" in page
    got = client.get(f"/console/documents/{document.id}/download")
    assert got.data == PDF and got.mimetype == "application/pdf"
    assert 'filename="Sponsor brief.pdf"' in got.headers["Content-Disposition"]
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    indonesian = client.get(f"/console/projects/{pid}/documents", headers={"Accept-Language": "id"})
    assert "Pemegang tiket acara-acara proyek ini, di lobi mereka" in indonesian.get_data(as_text=True)
    assert _upload(client, pid, "Run sheet.docx", _docx()).status_code == 303  # an Office file, checked by its parts

    for name, data, message in (
        ("notes.pdf", b"MZ\x90\x00\x03binary", "does not match its type"),
        ("fake.docx", b"PK\x03\x04 not a zip", "does not match its type"),
        ("photo.png", PDF, "does not match its type"),
        ("tool.exe", b"MZ", "Upload a PDF"),
        ("empty.txt", b"", "The file is empty."),
    ):
        refused = _upload(client, pid, name, data)
        assert refused.status_code == 422, name
        body = refused.get_data(as_text=True)
        assert message in body and 'id="doc-file-error"' in body, name
    groups = _upload(client, pid, "a.pdf", PDF, visibility="groups")
    assert groups.status_code == 422 and "Choose who sees the document." in groups.get_data(as_text=True)
    assert client.post(f"/console/projects/{pid}/documents", data={}).status_code == 422
    assert Document.select().count() == 2

    assert client.post(f"/console/documents/{document.id}/remove").status_code == 303
    assert not Document.select().where(Document.id == document.id).exists()
    assert not storage().exists(document.storage_key)
    actions = {e.action for e in AuditEntry.select()}
    assert {"document.upload", "document.remove"} <= actions


def test_a_shared_project_document_reaches_the_lobby_of_the_projects_events_only(app, client, summit):
    jakarta, outside = summit["jakarta"], summit["outside"]
    shared = documents.upload(summit["owner"], filename="Venue guide.pdf", data=PDF, visibility="participants",
                              actor=None)  # fmt: skip
    kept = documents.upload(summit["owner"], filename="Budget.pdf", data=PDF, actor=None)
    inside_order = make_order(jakarta, {make_product(jakarta, price=0): 1})
    outside_order = make_order(outside, {make_product(outside, price=0): 1})

    page = client.get(f"/o/{inside_order.secret}").get_data(as_text=True)
    assert "Venue guide" in page and "Budget" not in page
    assert client.get(f"/o/{inside_order.secret}/documents/{shared.id}").data == PDF
    assert client.get(f"/o/{inside_order.secret}/documents/{kept.id}").status_code == 404
    assert "Venue guide" not in client.get(f"/o/{outside_order.secret}").get_data(as_text=True)
    assert client.get(f"/o/{outside_order.secret}/documents/{shared.id}").status_code == 404

    # The event leaves the project, or the document is kept for operators: the link stops at once.
    projects.unlink_event(summit["project"], jakarta.id, actor=None)
    assert client.get(f"/o/{inside_order.secret}/documents/{shared.id}").status_code == 404
    projects.link_event(summit["project"], jakarta.id, actor=None)
    assert client.get(f"/o/{inside_order.secret}/documents/{shared.id}").status_code == 200
    documents.update(shared, title="Venue guide", visibility="operators", group_ids=[], actor=None)
    assert client.get(f"/o/{inside_order.secret}/documents/{shared.id}").status_code == 404


def test_project_documents_are_read_by_who_sees_the_project_and_changed_by_managers(auth, summit):
    org = summit["org"]
    document = documents.upload(summit["owner"], filename="Brief.pdf", data=PDF, actor=None)
    guide = make_member(org, "member", make_user())
    EventGrant.create(organization=org, event_id=summit["jakarta"].id, user=guide, role="guide")
    reader = auth.client_for(guide, org)
    assert reader.get(f"/console/documents/{document.id}/download").data == PDF
    page = reader.get(f"/console/projects/{summit['project'].id}/documents").get_data(as_text=True)
    assert "Brief" in page and "Upload a document" not in page
    data = {"title": "Renamed", "visibility": "participants"}
    assert reader.post(f"/console/documents/{document.id}", data=data).status_code == 403
    assert reader.post(f"/console/documents/{document.id}/remove").status_code == 403
    assert _upload(reader, summit["project"].id, "x.pdf", PDF).status_code == 403

    outsider = make_member(org, "member", make_user())
    EventGrant.create(organization=org, event_id=summit["outside"].id, user=outsider, role="manager")
    assert auth.client_for(outsider, org).get(f"/console/documents/{document.id}/download").status_code == 403
    stranger_org = make_org()
    stranger = auth.client_for(make_member(stranger_org, "owner", make_user()), stranger_org)
    assert stranger.get(f"/console/documents/{document.id}/download").status_code == 404
    assert stranger.post(f"/console/documents/{document.id}/remove").status_code == 404
    assert Document.get_by_id(document.id).title == "Brief"

    manager = auth.client_for(summit["manager"], org)
    assert manager.post(f"/console/documents/{document.id}", data=data).status_code == 303
    assert (Document.get_by_id(document.id).title, Document.get_by_id(document.id).visibility) == (
        "Renamed", "participants",
    )  # fmt: skip


def test_deleting_a_project_deletes_its_documents_and_their_bytes(app, summit):
    document = documents.upload(summit["owner"], filename="Plan.pdf", data=PDF, actor=None)
    event_document = documents.upload(summit["jakarta"], filename="Event plan.pdf", data=PDF, actor=None)
    projects.delete(summit["project"], actor=None)
    assert not Document.select().where(Document.id == document.id).exists()
    assert not storage().exists(document.storage_key)
    assert storage().read(event_document.storage_key) == PDF  # the event and its documents stay


def test_a_document_has_exactly_one_owner(app, summit):
    base = {
        "organization": summit["org"].id, "title": "T", "filename": "t.pdf", "content_type": "application/pdf",
        "size": 1, "visibility": "operators",
    }  # fmt: skip
    for n, owners in enumerate(({}, {"event": summit["jakarta"].id, "project_id": summit["project"].id})):
        with pytest.raises(peewee.IntegrityError), db.atomic():
            Document.create(storage_key=f"documents/x/{n}.pdf", **base, **owners)
