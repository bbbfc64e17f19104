"""Documents of an event or a project: list and upload under their owner, then one family by the
document's own id (read, download, change who sees it, delete). The same services and the same
upload check as the console (webapp/documents); every call is scoped to the key's organization."""

from __future__ import annotations

import base64
import binascii

from webapp.api.framework import invalid, operation
from webapp.api.schema import Array, DateTime, Int, Line, Obj, Out, Str
from webapp.api.v1.common import MAX_ID, actor_label, field_error
from webapp.api.v1.events import get_event
from webapp.api.v1.projects import get_project
from webapp.api.v1.resource import OrgResource
from webapp.documents import service
from webapp.documents.models import VISIBILITY, Document
from webapp.storage import download

TAG = "Documents"
SCOPE = "events"
# The file travels base64-encoded in JSON: a third more than MAX_BYTES, and room for the rest.
MAX_BODY = service.MAX_BYTES * 4 // 3 + 64 * 1024

DocumentOut = Out(
    "Document",
    {
        "id": Int(),
        "event_id": Int(null=True, description="The owning event (null for a project's document)."),
        "project_id": Int(null=True, description="The owning project (null for an event's document)."),
        "title": Str(),
        "filename": Str(),
        "content_type": Str(),
        "size": Int(description="Bytes."),
        "visibility": Str(
            enum=VISIBILITY,
            description="operators: the console only; groups (an event's): the lobby of the chosen participant "
            "groups; participants (a project's): the lobby of every ticket holder of the project's events.",
        ),
        "group_ids": Array(Int()),
        "created_at": DateTime(),
    },
)
Settings = {
    "title": Line(min_length=1, max_length=200),
    "visibility": Str(enum=VISIBILITY),
    "group_ids": Array(Int(minimum=1, maximum=MAX_ID), max_items=100),
}
Upload = Obj(
    "DocumentUpload",
    {
        "filename": Line(min_length=1, max_length=200, description="With its extension: pdf, png, jpg, docx, txt..."),
        "content_base64": Str(min_length=1, strip=False, description="The file's bytes, base64-encoded."),
        **Settings,
    },
    required=("filename", "content_base64"),
)
Items = Out("Documents", {"items": Array(DocumentOut)})


def _bytes(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        message = "Must be the file's bytes in base64."
        raise invalid(message, content_base64=message) from None


def _upload(owner, body) -> Document:
    try:
        return service.upload(
            owner, filename=body["filename"], data=_bytes(body["content_base64"]), title=body.get("title", ""),
            visibility=body.get("visibility", "operators"), group_ids=body.get("group_ids", []), actor=None,
            actor_label=actor_label(),
        )  # fmt: skip
    except service.DocumentError as exc:
        raise field_error(exc, {"file": "content_base64"}) from None


DOCUMENTS = OrgResource(
    Document, "/documents", "document", "documents", tag=TAG, scope=SCOPE, errors={service.DocumentError: field_error}
)
get_document = DOCUMENTS.get  # the organization's document, whoever owns it


@operation(
    "GET", "/events/<int:event_id>/documents", tag=TAG, scope=SCOPE, summary="List an event's documents", response=Items
)
def list_event_documents(event_id):
    return {"items": service.for_owner(get_event(event_id))}


@operation(
    "POST",
    "/events/<int:event_id>/documents",
    tag=TAG,
    scope=SCOPE,
    summary="Upload a document to an event",
    body=Upload,
    response=DocumentOut,
    status=201,
    max_body=MAX_BODY,
)
def upload_event_document(event_id, body):
    """The content must match the extension (checked by its bytes); at most 10 MB. `visibility`
    `groups` needs `group_ids` of this event's participant groups."""
    return _upload(get_event(event_id), body)


@operation(
    "GET",
    "/projects/<int:project_id>/documents",
    tag=TAG,
    scope=SCOPE,
    summary="List a project's documents",
    response=Items,
)
def list_project_documents(project_id):
    return {"items": service.for_owner(service.Owner.of_project(get_project(project_id)))}


@operation(
    "POST",
    "/projects/<int:project_id>/documents",
    tag=TAG,
    scope=SCOPE,
    summary="Upload a document to a project",
    body=Upload,
    response=DocumentOut,
    status=201,
    max_body=MAX_BODY,
)
def upload_project_document(project_id, body):
    """The content must match the extension (checked by its bytes); at most 10 MB. `visibility`
    `participants` shows it in the lobby of every ticket holder of the project's events."""
    return _upload(service.Owner.of_project(get_project(project_id)), body)


read_document = DOCUMENTS.read(summary="Get a document", response=DocumentOut)


@operation("GET", "/documents/<int:document_id>/file", tag=TAG, scope=SCOPE, summary="Download a document's file")
def download_document(document_id):
    """The file itself (its content type, as an attachment named after it); 404 when its bytes
    are gone."""
    document = get_document(document_id)
    try:
        response = download(document.storage_key, document.content_type, document.filename)
    except FileNotFoundError:
        raise Document.DoesNotExist from None
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _update(document: Document, body: dict) -> None:
    service.update(
        document, title=body.get("title", document.title), visibility=body.get("visibility", document.visibility),
        group_ids=body.get("group_ids", document.group_ids), actor=None, actor_label=actor_label(),
    )  # fmt: skip


update_document = DOCUMENTS.update(
    summary="Change a document's title or who sees it",
    body=Obj("DocumentUpdate", Settings),
    response=DocumentOut,
    change=_update,
)
delete_document = DOCUMENTS.delete(
    summary="Delete a document and its file",
    remove=lambda document: service.remove(document, actor=None, actor_label=actor_label()),
)
