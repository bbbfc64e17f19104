"""Documents over the API: an event's and a project's, uploaded (checked by content), listed,
downloaded, changed and deleted through one family by the document's id; scoped to the key's
organization; bad input answers 422 on the field."""

from __future__ import annotations

import base64

from tests.factories.events import make_event
from webapp.accounts.audit import AuditEntry
from webapp.catalog import groups as catalog_groups
from webapp.documents.models import Document
from webapp.projects import service as projects
from webapp.storage import storage

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_an_integration_keeps_a_projects_documents(api, org):
    project = projects.create(org.id, "Summit", actor=None)
    created = api.post(
        f"/projects/{project.id}/documents",
        {"filename": "Sponsor brief.pdf", "content_base64": _b64(PDF), "visibility": "participants"},
    )
    assert created.status_code == 201, created.json
    body = created.json
    assert (body["project_id"], body["event_id"], body["title"], body["visibility"]) == (
        project.id, None, "Sponsor brief", "participants",
    )  # fmt: skip
    assert body["content_type"] == "application/pdf" and body["size"] == len(PDF)
    assert AuditEntry.get(AuditEntry.action == "document.upload").actor.startswith("api key")
    assert [d["id"] for d in api.get(f"/projects/{project.id}/documents").json["items"]] == [body["id"]]
    got = api.get(f"/documents/{body['id']}/file")
    assert got.status_code == 200 and got.data == PDF and got.mimetype == "application/pdf"
    changed = api.patch(f"/documents/{body['id']}", {"title": "Brief", "visibility": "operators"})
    assert changed.status_code == 200 and (changed.json["title"], changed.json["visibility"]) == ("Brief", "operators")
    key = Document.get_by_id(body["id"]).storage_key
    assert api.delete(f"/documents/{body['id']}").json == {"id": body["id"], "deleted": True}
    assert not storage().exists(key) and api.get(f"/documents/{body['id']}").status_code == 404


def test_an_events_document_is_shown_to_chosen_groups_and_bad_uploads_answer_422(api, org):
    event = make_event(org)
    speakers = catalog_groups.create(event, {"name": "Speakers"}, actor=None)
    created = api.post(
        f"/events/{event.id}/documents",
        {"filename": "guide.pdf", "content_base64": _b64(PDF), "visibility": "groups", "group_ids": [speakers.id]},
    )
    assert created.status_code == 201 and created.json["group_ids"] == [speakers.id]
    assert created.json["event_id"] == event.id and created.json["project_id"] is None
    for body, field in (
        ({"filename": "fake.pdf", "content_base64": _b64(b"<html>")}, "content_base64"),
        ({"filename": "a.pdf", "content_base64": "%%% not base64"}, "content_base64"),
        ({"filename": "tool.exe", "content_base64": _b64(b"MZ")}, "content_base64"),
        ({"filename": "a.pdf", "content_base64": _b64(PDF), "visibility": "participants"}, "visibility"),
        ({"filename": "a.pdf", "content_base64": _b64(PDF), "visibility": "groups", "group_ids": [2**31 - 1]},
         "group_ids"),
    ):  # fmt: skip
        refused = api.post(f"/events/{event.id}/documents", body)
        assert refused.status_code == 422 and field in refused.json["error"]["fields"], (body, refused.json)
    assert Document.select().count() == 1


def test_another_organizations_documents_answer_404(api, other_api, org):
    event = make_event(org)
    project = projects.create(org.id, "Summit", actor=None)
    document = api.post(f"/events/{event.id}/documents", {"filename": "a.pdf", "content_base64": _b64(PDF)}).json
    upload = {"filename": "b.pdf", "content_base64": _b64(PDF)}
    assert other_api.get(f"/documents/{document['id']}").status_code == 404
    assert other_api.get(f"/documents/{document['id']}/file").status_code == 404
    assert other_api.patch(f"/documents/{document['id']}", {"title": "Mine"}).status_code == 404
    assert other_api.delete(f"/documents/{document['id']}").status_code == 404
    assert other_api.get(f"/events/{event.id}/documents").status_code == 404
    assert other_api.post(f"/projects/{project.id}/documents", upload).status_code == 404
    assert Document.get_by_id(document["id"]).title == "a"
