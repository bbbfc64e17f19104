"""Console: one route family for every document, whoever owns it (`/console/documents/<id>`):
download, who sees it, removal. Each request is authorized on its own by the document's owner: an
event's document by the capability on that event; a project's by the project's rule (read by the
members who see the project, changed by organization managers). And the upload every owner's page
shares (`upload_from_form`: an event's lobby, a project's documents tab)."""

from __future__ import annotations

import functools

from flask import Blueprint, abort, flash, g, request, url_for
from flask_login import current_user

from webapp.accounts.access import ORG_ROLE_FOR, Owner, granted_event_ids, has_role, may_reach, member_or_login
from webapp.documents import service
from webapp.documents.models import Document
from webapp.events.pages import attempted, done
from webapp.i18n import _
from webapp.projects import service as projects
from webapp.storage import download as download_file

bp = Blueprint("documents", __name__, url_prefix="/console/documents")


def _actor():
    return current_user._get_current_object()


def upload_from_form(owner) -> dict:
    """Upload the request's file to `owner` (an event or a service.Owner): {} once stored (and a
    message flashed), else {field: message} for the form."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return {"file": _("Choose a file.")}
    data = upload.read(service.MAX_BYTES + 1)
    try:
        service.upload(
            owner, filename=upload.filename, data=data, title=request.form.get("title", ""),
            visibility=request.form.get("visibility", "operators"), group_ids=request.form.getlist("group_ids"),
            actor=_actor(),
        )  # fmt: skip
    except service.DocumentError as exc:
        return {exc.field: str(exc)}
    flash(_("Document uploaded."), "success")
    return {}


# --- every document, by its own id ---------------------------------------------------------------


def _may(document: Document, capability: str) -> bool:
    """An event's document: the capability on its event. A project's: reading it is for members
    who see the project (an organization manager, or a grant on one of its events); anything else
    is the organization managers'."""
    if document.event_id is not None:
        return may_reach(Owner(document.organization_id, document.event_id), capability)
    if has_role(ORG_ROLE_FOR[capability]):
        return True
    if capability != "participants":
        return False
    reachable = granted_event_ids("participants") or []
    return bool(set(reachable) & set(projects.event_ids_of(document.project_id)))


def document_required(capability: str):
    """The view (with a `document_id` argument) gets the organization's document once the member
    may do `capability` with it: another organization's (or none) answers 404, one this member
    may not reach 403."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(document_id: int):
            refused = member_or_login()
            if refused is not None:
                return refused
            try:
                document = service.of_organization(g.org.id, document_id)
            except Document.DoesNotExist:
                abort(404)
            if not _may(document, capability):
                abort(403)
            return view(document)

        wrapper.access = ("row", "document_id", capability)
        return wrapper

    return decorator


def _owner_page(document: Document) -> str:
    if document.event_id is not None:
        return url_for("event_lobby.index", event_id=document.event_id)
    return url_for("projects.documents", project_id=document.project_id)


@bp.route("/<int:document_id>/download", methods=["GET"])
@document_required("participants")
def download(document: Document):
    try:
        response = download_file(document.storage_key, document.content_type, document.filename)
    except FileNotFoundError:
        abort(404)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/<int:document_id>", methods=["POST"])
@document_required("manage")
def update(document: Document):
    return attempted(
        lambda: service.update(
            document, title=request.form.get("title", ""), visibility=request.form.get("visibility", "operators"),
            group_ids=request.form.getlist("group_ids"), actor=_actor(),
        ),
        service.DocumentError,
        _("Document saved."),
        _owner_page(document),
    )  # fmt: skip


@bp.route("/<int:document_id>/remove", methods=["POST"])
@document_required("manage")
def remove(document: Document):
    service.remove(document, actor=_actor())
    return done(_("Document removed."), _owner_page(document))
