"""Console: an event's lobby — its documents (the list and the upload; each document's own routes
are webapp/documents/views.py), what is new (announcements) and the lobby's settings (online
link timing, venue map)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.accounts.access import can_event, event_required
from webapp.catalog import groups as catalog_groups
from webapp.documents import service
from webapp.documents.views import upload_from_form
from webapp.events import announcements
from webapp.events.models import EventAnnouncement
from webapp.events.pages import done, event_or_404, found_or_404, submitted
from webapp.i18n import _

bp = Blueprint("event_lobby", __name__, url_prefix="/console/events/<int:event_id>/lobby")


def _actor():
    return current_user._get_current_object()


def _page(event, errors=None, values=None, status=200):
    return render_template(
        "console/documents/lobby.html",
        event=event,
        documents=service.for_owner(event),
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
    return submitted(
        lambda: announcements.update_lobby_settings(
            event, join_link_opens_minutes=request.form.get("join_link_opens_minutes", ""),
            venue_map_url=request.form.get("venue_map_url", ""), actor=_actor(),
        ),
        announcements.AnnouncementError,
        lambda exc: _page(
            event, {exc.args[1] if len(exc.args) > 1 else "join_link_opens_minutes": exc.args[0]}, request.form, 422
        ),
        _("Lobby settings saved."),
        url_for("event_lobby.index", event_id=event.id),
    )  # fmt: skip


@bp.route("/announcements", methods=["POST"])
@event_required("manage")
def announce(event_id: int):
    event = event_or_404(event_id)
    return submitted(
        lambda: announcements.post(event, request.form.get("body", ""), actor=_actor()),
        announcements.AnnouncementError,
        lambda exc: _page(event, {"body": str(exc)}, request.form, 422),
        _("Announcement posted to the lobby."),
        url_for("event_lobby.index", event_id=event.id),
    )


@bp.route("/announcements/<int:announcement_id>/remove", methods=["POST"])
@event_required("manage")
def unannounce(event_id: int, announcement_id: int):
    event = event_or_404(event_id)
    found_or_404(lambda: announcements.remove(event, announcement_id, actor=_actor()), EventAnnouncement.DoesNotExist)
    return done(_("Announcement removed."), url_for("event_lobby.index", event_id=event.id))


@bp.route("/documents", methods=["POST"])
@event_required("manage")
def upload(event_id: int):
    event = event_or_404(event_id)
    errors = upload_from_form(event)
    if errors:
        return _page(event, errors, request.form, 422)
    return redirect(url_for("event_lobby.index", event_id=event.id), code=303)
