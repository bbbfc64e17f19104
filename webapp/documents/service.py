"""Event documents: upload (size and type checked by content), who may see each one, removal.

A document is shown to operators (event access, checked by the views) and, when its visibility
is "groups", in the lobby of ticket holders of the chosen participant groups. Every download is
authorized on its own request: `visible_in_lobby` is the one rule for attendees."""

from __future__ import annotations

import secrets
import unicodedata
from pathlib import PurePosixPath

from webapp.accounts import audit
from webapp.accounts.models import User
from webapp.catalog.models import ParticipantGroup
from webapp.db import db
from webapp.documents.models import VISIBILITY, Document
from webapp.events.models import Event
from webapp.guards import has_control_characters
from webapp.i18n import _
from webapp.storage import storage

MAX_BYTES = 10 * 1024 * 1024
# Extension → (content type, the bytes the file starts with). Office files are ZIP containers.
TYPES = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (b"PK\x03\x04",)),
    "txt": ("text/plain; charset=utf-8", ()),
}


class DocumentError(ValueError):
    """The upload or a setting is refused; `field` names the form field."""

    def __init__(self, message: str, field: str = "file"):
        self.field = field
        super().__init__(message)


def for_event(event: Event) -> list[Document]:
    return list(
        Document.select().where(Document.event == event.id).order_by(Document.created_at.desc(), Document.id.desc())
    )


def of_event(event: Event, document_id: int) -> Document:
    """The event's document with this id, or Document.DoesNotExist (a 404)."""
    return Document.get((Document.id == document_id) & (Document.event == event.id))


def visible_in_lobby(document: Document, group_id: int | None) -> bool:
    """Whether a ticket holder of participant group `group_id` sees the document in the lobby."""
    return document.visibility == "groups" and group_id is not None and group_id in (document.group_ids or [])


def for_lobby(event: Event, group_ids: set[int]) -> list[Document]:
    return [d for d in for_event(event) if any(visible_in_lobby(d, g) for g in group_ids)]


def _clean_filename(filename: str) -> tuple[str, str]:
    name = PurePosixPath(unicodedata.normalize("NFC", (filename or "").replace("\\", "/"))).name.strip()
    if not name or has_control_characters(name) or len(name) > 200:
        raise DocumentError(_("Give the file a name under 200 characters."))
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in TYPES:
        raise DocumentError(_("Upload a PDF, an image (PNG, JPEG), a Word, Excel or PowerPoint file, or a text file."))
    return name, extension


def _check_content(data: bytes, extension: str) -> None:
    if not data:
        raise DocumentError(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise DocumentError(_("The file is larger than %(mb)d MB.", mb=MAX_BYTES // (1024 * 1024)))
    starts = TYPES[extension][1]
    if starts and not data.startswith(starts):
        raise DocumentError(_("The file's content does not match its type."))
    if extension == "txt":
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise DocumentError(_("A text file must be UTF-8 text.")) from None
        if "\x00" in text:
            raise DocumentError(_("The file's content does not match its type."))


def _settings(event: Event, title: str, visibility: str, group_ids) -> dict:
    title = (title or "").strip()
    if not title:
        raise DocumentError(_("Enter a title."), "title")
    if len(title) > 200 or has_control_characters(title):
        raise DocumentError(_("Write the title on one line, under 200 characters."), "title")
    if visibility not in VISIBILITY:
        raise DocumentError(_("Choose who sees the document."), "visibility")
    ids = set()
    for value in group_ids or []:
        text = str(value).strip()
        if not text.isdigit() or len(text) > 12:
            raise DocumentError(_("Choose groups of this event."), "group_ids")
        ids.add(int(text))
    found = {
        g.id
        for g in ParticipantGroup.select(ParticipantGroup.id).where(
            (ParticipantGroup.event == event.id) & ParticipantGroup.id.in_(list(ids))
        )
    }
    if ids - found:
        raise DocumentError(_("Choose groups of this event."), "group_ids")
    if visibility == "groups" and not ids:
        raise DocumentError(_("Choose at least one group, or keep the document for operators."), "group_ids")
    return {"title": title, "visibility": visibility, "group_ids": sorted(ids) if visibility == "groups" else []}


def upload(
    event: Event, *, filename: str, data: bytes, title: str = "", visibility: str = "operators",
    group_ids=(), actor: User | None, actor_label: str | None = None,
) -> Document:  # fmt: skip
    """Store the file (webapp/storage.py) and its row; the title defaults to the file's name."""
    name, extension = _clean_filename(filename)
    settings = _settings(event, title or name.rsplit(".", 1)[0], visibility, group_ids)
    _check_content(data, extension)
    key = f"documents/events/{event.id}/{secrets.token_hex(16)}.{extension}"
    storage().write(key, data)
    try:
        with db.atomic():
            document = Document.create(
                organization=event.organization_id, event=event.id, filename=name,
                content_type=TYPES[extension][0], size=len(data), storage_key=key, uploaded_by=actor, **settings,
            )  # fmt: skip
            audit.record(
                event.organization_id, "document.upload", user=actor, actor=actor_label, target=document,
                summary=f"{document.title} ({name}, {len(data)} bytes)",
            )  # fmt: skip
    except Exception:
        storage().delete(key)
        raise
    return document


def update(
    document: Document, *, title: str, visibility: str, group_ids, actor: User | None,
    actor_label: str | None = None,
) -> dict:  # fmt: skip
    settings = _settings(document.event, title, visibility, group_ids)
    with db.atomic():
        changes = audit.diff(document, settings)
        if changes:
            document.save()
            audit.record(
                document.organization_id, "document.update", user=actor, actor=actor_label, target=document,
                summary=document.title, changes=changes,
            )  # fmt: skip
    return changes


def remove(document: Document, *, actor: User | None, actor_label: str | None = None) -> None:
    with db.atomic():
        audit.record(
            document.organization_id, "document.remove", user=actor, actor=actor_label, target=document,
            summary=document.title,
        )  # fmt: skip
        document.delete_instance()
    storage().delete(document.storage_key)
