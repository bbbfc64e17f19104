"""Console: an event's lobby — its documents (upload, who sees them, download), what is new
(announcements) and the lobby's settings (online link timing, venue map)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.accounts.access import can_event, event_required
from webapp.catalog import groups as catalog_groups
from webapp.documents import service
from webapp.documents.models import Document
from webapp.events import announcements
from webapp.events.models import EventAnnouncement
from webapp.events.pages import event_or_404
from webapp.i18n import _
from webapp.storage import download

bp = Blueprint("event_lobby", __name__, url_prefix="/console/events/<int:event_id>/lobby")


def _actor():
    return current_user._get_current_object()


def _page(event, errors=None, values=None, status=200):
    return render_template(
        "console/documents/lobby.html",
        event=event,
        documents=service.for_event(event),
        news=announcements.for_event(event),
        groups=catalog_groups.groups_of(event),
        errors=errors or {},
        values=values or {},
        may_manage=can_event(event.id, "manage"),
        max_mb=service.MAX_BYTES // (1024 * 1024),
        max_announcement=announcements.MAX_LENGTH,
    ), status


@bp.route("/", methods=["GET"])
@event_required("participants")
def index(event_id: int):
    return _page(event_or_404(event_id))


@bp.route("/settings", methods=["POST"])
@event_required("manage")
def settings(event_id: int):
    event = event_or_404(event_id)
    try:
        announcements.update_lobby_settings(
            event, join_link_opens_minutes=request.form.get("join_link_opens_minutes", ""),
            venue_map_url=request.form.get("venue_map_url", ""), actor=_actor(),
        )  # fmt: skip
    except announcements.AnnouncementError as exc:
        field = exc.args[1] if len(exc.args) > 1 else "join_link_opens_minutes"
        return _page(event, {field: exc.args[0]}, request.form, 422)
    flash(_("Lobby settings saved."), "success")
    return redirect(url_for("event_lobby.index", event_id=event.id), code=303)


@bp.route("/announcements", methods=["POST"])
@event_required("manage")
def announce(event_id: int):
    event = event_or_404(event_id)
    try:
        announcements.post(event, request.form.get("body", ""), actor=_actor())
    except announcements.AnnouncementError as exc:
        return _page(event, {"body": str(exc)}, request.form, 422)
    flash(_("Announcement posted to the lobby."), "success")
    return redirect(url_for("event_lobby.index", event_id=event.id), code=303)


@bp.route("/announcements/<int:announcement_id>/remove", methods=["POST"])
@event_required("manage")
def unannounce(event_id: int, announcement_id: int):
    event = event_or_404(event_id)
    try:
        announcements.remove(event, announcement_id, actor=_actor())
    except EventAnnouncement.DoesNotExist:
        abort(404)
    flash(_("Announcement removed."), "success")
    return redirect(url_for("event_lobby.index", event_id=event.id), code=303)


@bp.route("/documents", methods=["POST"])
@event_required("manage")
def upload(event_id: int):
    event = event_or_404(event_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(event, {"file": _("Choose a file.")}, request.form, 422)
    data = upload.read(service.MAX_BYTES + 1)
    try:
        service.upload(
            event, filename=upload.filename, data=data, title=request.form.get("title", ""),
            visibility=request.form.get("visibility", "operators"), group_ids=request.form.getlist("group_ids"),
            actor=_actor(),
        )  # fmt: skip
    except service.DocumentError as exc:
        return _page(event, {exc.field: str(exc)}, request.form, 422)
    flash(_("Document uploaded."), "success")
    return redirect(url_for("event_lobby.index", event_id=event.id), code=303)


def _document(event, document_id: int) -> Document:
    try:
        return service.of_event(event, document_id)
    except Document.DoesNotExist:
        abort(404)


@bp.route("/documents/<int:document_id>", methods=["POST"])
@event_required("manage")
def update(event_id: int, document_id: int):
    event = event_or_404(event_id)
    document = _document(event, document_id)
    try:
        service.update(
            document, title=request.form.get("title", ""), visibility=request.form.get("visibility", "operators"),
            group_ids=request.form.getlist("group_ids"), actor=_actor(),
        )  # fmt: skip
    except service.DocumentError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Document saved."), "success")
    return redirect(url_for("event_lobby.index", event_id=event.id), code=303)


@bp.route("/documents/<int:document_id>/remove", methods=["POST"])
@event_required("manage")
def remove(event_id: int, document_id: int):
    event = event_or_404(event_id)
    service.remove(_document(event, document_id), actor=_actor())
    flash(_("Document removed."), "success")
    return redirect(url_for("event_lobby.index", event_id=event.id), code=303)


@bp.route("/documents/<int:document_id>/download", methods=["GET"])
@event_required("participants")
def download_document(event_id: int, document_id: int):
    document = _document(event_or_404(event_id), document_id)
    try:
        return download(document.storage_key, document.content_type, document.filename)
    except FileNotFoundError:
        abort(404)
