"""Documents of an event or a project: upload (size and type checked by content), who may see
each one, removal.

A document is shown to operators (access to its event or project, checked by the views) and, in
the lobby of ticket holders: an event's document when its visibility is "groups" and the holder's
participant group is chosen; a project's document when its visibility is "participants" and the
holder's event is part of the project. Every download is authorized on its own request:
`visible_in_lobby` is the one rule for attendees.

A project lives in a higher layer (webapp.projects): it is an `Owner` by id, and the projects
holding an event are handed in by the caller."""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

import peewee as pw

from webapp import uploads
from webapp.accounts import audit
from webapp.accounts.models import User
from webapp.catalog.models import ParticipantGroup
from webapp.db import db, on_commit
from webapp.documents.models import VISIBILITY_FOR, Document
from webapp.events.models import Event
from webapp.guards import has_control_characters
from webapp.i18n import _, stored_text, verbatim
from webapp.storage import storage

MAX_BYTES = 10 * 1024 * 1024
TYPES = uploads.DOCUMENT_TYPES


class DocumentError(ValueError):
    """The upload or a setting is refused; `field` names the form field."""

    def __init__(self, message: str, field: str = "file"):
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class Owner:
    """What a document belongs to: `kind` "event" or "project", its id and organization."""

    kind: str
    id: int
    organization_id: int

    @classmethod
    def of_event(cls, event: Event) -> Owner:
        return cls("event", event.id, event.organization_id)

    @classmethod
    def of_project(cls, project) -> Owner:
        """A webapp.projects Project (anything with `id` and `organization_id`)."""
        return cls("project", project.id, project.organization_id)

    @classmethod
    def of_document(cls, document: Document) -> Owner:
        if document.event_id is not None:
            return cls("event", document.event_id, document.organization_id)
        return cls("project", document.project_id, document.organization_id)

    def condition(self) -> pw.Expression:
        column = Document.event if self.kind == "event" else Document.project_id
        return (column == self.id) & (Document.organization == self.organization_id)

    def columns(self) -> dict:
        return {"event": self.id} if self.kind == "event" else {"project_id": self.id}


def _owner(owner: Event | Owner) -> Owner:
    return owner if isinstance(owner, Owner) else Owner.of_event(owner)


def _newest_first(query):
    return list(query.order_by(Document.created_at.desc(), Document.id.desc()))


def for_owner(owner: Event | Owner) -> list[Document]:
    return _newest_first(Document.select().where(_owner(owner).condition()))


def of_owner(owner: Event | Owner, document_id: int) -> Document:
    """The owner's document with this id, or Document.DoesNotExist (a 404)."""
    return Document.get((Document.id == document_id) & _owner(owner).condition())


def of_organization(org_id: int, document_id: int) -> Document:
    """The organization's document with this id (whoever owns it), or Document.DoesNotExist."""
    return Document.get_for_org(org_id, document_id)


def visible_in_lobby(document: Document, group_ids: Iterable[int], project_ids: Iterable[int] = ()) -> bool:
    """Whether a ticket holder of these participant groups, whose event is part of these
    projects, sees the document in the lobby."""
    if document.event_id is not None:
        return document.visibility == "groups" and bool(set(group_ids) & set(document.group_ids or []))
    return document.visibility == "participants" and document.project_id in set(project_ids)


def for_lobby(event: Event, group_ids: set[int], project_ids: Iterable[int] = ()) -> list[Document]:
    """The documents ticket holders of these groups of `event` see: the event's, then those of
    the projects holding the event (`project_ids`)."""
    own = [d for d in for_owner(event) if visible_in_lobby(d, group_ids)]
    projects = list(project_ids)
    if not projects:
        return own
    shared = Document.select().where(
        (Document.organization == event.organization_id)
        & Document.project_id.in_(projects)
        & (Document.visibility == "participants")
    )
    return own + _newest_first(shared)


def _clean_filename(filename: str) -> tuple[str, str]:
    name = PurePosixPath(unicodedata.normalize("NFC", (filename or "").replace("\\", "/"))).name.strip()
    if not name or has_control_characters(name) or len(name) > 200 or not _encodable(name):
        raise DocumentError(_("Give the file a name under 200 characters."))
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in TYPES:
        raise DocumentError(
            _("Upload a PDF, an image (PNG, JPEG, WebP, GIF), a Word, Excel or PowerPoint file, or a text or CSV file.")
        )
    return name, extension


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def _check_content(data: bytes, extension: str) -> None:
    if not data:
        raise DocumentError(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise DocumentError(_("The file is larger than %(mb)d MB.", mb=MAX_BYTES // (1024 * 1024)))
    if uploads.document_matches(extension, data):
        return
    if TYPES[extension][1] == "text":
        raise DocumentError(_("A text file must be UTF-8 text."))
    raise DocumentError(_("The file's content does not match its type."))


def _group_ids(owner: Owner, group_ids) -> set[int]:
    ids = set()
    for value in group_ids or []:
        text = str(value).strip()
        if not text.isdigit() or len(text) > 12:
            raise DocumentError(_("Choose groups of this event."), "group_ids")
        ids.add(int(text))
    if owner.kind != "event":
        return set()
    found = {
        g.id
        for g in ParticipantGroup.select(ParticipantGroup.id).where(
            (ParticipantGroup.event == owner.id) & ParticipantGroup.id.in_(list(ids))
        )
    }
    if ids - found:
        raise DocumentError(_("Choose groups of this event."), "group_ids")
    return ids


def _settings(owner: Owner, title: str, visibility: str, group_ids) -> dict:
    title = (title or "").strip() if isinstance(title, str) or title is None else None
    if title is None or not title:
        raise DocumentError(_("Enter a title."), "title")
    if len(title) > 200 or has_control_characters(title) or not _encodable(title):
        raise DocumentError(_("Write the title on one line, under 200 characters."), "title")
    if visibility not in VISIBILITY_FOR[owner.kind]:
        raise DocumentError(_("Choose who sees the document."), "visibility")
    ids = _group_ids(owner, group_ids)
    if visibility == "groups" and not ids:
        raise DocumentError(_("Choose at least one group, or keep the document for operators."), "group_ids")
    return {"title": title, "visibility": visibility, "group_ids": sorted(ids) if visibility == "groups" else []}


def upload(
    owner: Event | Owner, *, filename: str, data: bytes, title: str = "", visibility: str = "operators",
    group_ids=(), actor: User | None, actor_label: str | None = None,
) -> Document:  # fmt: skip
    """Store the file (webapp/storage.py) and its row; the title defaults to the file's name."""
    owner = _owner(owner)
    name, extension = _clean_filename(filename)
    settings = _settings(owner, title or name.rsplit(".", 1)[0], visibility, group_ids)
    _check_content(data, extension)
    key = f"documents/{owner.kind}s/{owner.id}/{secrets.token_hex(16)}.{extension}"
    storage().write(key, data)
    try:
        with db.atomic():
            document = Document.create(
                organization=owner.organization_id, **owner.columns(), filename=name,
                content_type=TYPES[extension][0], size=len(data), storage_key=key,
                uploaded_by=actor.id if actor else None, **settings,
            )  # fmt: skip
            audit.record(
                owner.organization_id, "document.upload", user=actor, actor=actor_label, target=document,
                summary=stored_text("%(title)s (%(name)s, %(count)s bytes) for %(kind)s %(id)s", title=document.title, name=name, count=len(data), kind=owner.kind, id=owner.id),
            )  # fmt: skip
    except Exception:
        storage().delete(key)
        raise
    return document


def update(
    document: Document, *, title: str, visibility: str, group_ids, actor: User | None,
    actor_label: str | None = None,
) -> dict:  # fmt: skip
    settings = _settings(Owner.of_document(document), title, visibility, group_ids)
    with db.atomic():
        changes = audit.diff(document, settings)
        if changes:
            document.save()
            audit.record(
                document.organization_id, "document.update", user=actor, actor=actor_label, target=document,
                summary=verbatim(document.title), changes=changes,
            )  # fmt: skip
    return changes


def remove(document: Document, *, actor: User | None, actor_label: str | None = None) -> None:
    """Delete the row, then (once committed) its stored bytes."""
    with db.atomic():
        audit.record(
            document.organization_id, "document.remove", user=actor, actor=actor_label, target=document,
            summary=verbatim(document.title),
        )  # fmt: skip
        document.delete_instance()
        key = document.storage_key
        on_commit(lambda: storage().delete(key))


def remove_all(owner: Owner) -> int:
    """Delete every document of an owner that goes away (a project being deleted, inside its
    transaction) and, once that commits, their stored bytes; returns how many."""
    keys = [d.storage_key for d in Document.select(Document.storage_key).where(owner.condition())]
    Document.delete().where(owner.condition()).execute()
    for key in keys:
        on_commit(lambda key=key: storage().delete(key))
    return len(keys)
