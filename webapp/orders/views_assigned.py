"""Console: the contacts assigned to an event (not participants), and their one-click invitations."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.accounts.access import event_required
from webapp.events.pages import done, event_or_404, found_or_404, submitted
from webapp.i18n import _
from webapp.orders import assignments, invitations
from webapp.orders.models import EventAssignment

bp = Blueprint("event_assigned", __name__, url_prefix="/console/events/<int:event_id>/assigned")


def _actor():
    return current_user._get_current_object()


def _page(event, errors=None, values=None, status=200):
    return render_template(
        "console/orders/assigned.html",
        event=event,
        rows=assignments.for_event(event),
        errors=errors or {},
        values=values or {},
        note_max=assignments.NOTE_MAX,
    ), status


@bp.route("/", methods=["GET"])
@event_required("registrants")
def index(event_id: int):
    return _page(event_or_404(event_id))


@bp.route("/", methods=["POST"])
@event_required("registrants")
def assign(event_id: int):
    event = event_or_404(event_id)
    return submitted(
        lambda: assignments.assign(event, request.form.get("email", ""), request.form.get("note", ""), actor=_actor()),
        assignments.AssignmentError,
        lambda exc: _page(event, {exc.field: str(exc)}, request.form, 422),
        _("Contact assigned to the event."),
        url_for("event_assigned.index", event_id=event.id),
    )


@bp.route("/<int:assignment_id>/invite", methods=["POST"])
@event_required("registrants")
def invite(event_id: int, assignment_id: int):
    event = event_or_404(event_id)
    try:
        invitation = assignments.invite(event, assignment_id, actor=_actor())
    except EventAssignment.DoesNotExist:
        abort(404)
    except invitations.InvitationError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Invitation sent to %(email)s.", email=invitation.email), "success")
    return redirect(url_for("event_assigned.index", event_id=event.id), code=303)


@bp.route("/<int:assignment_id>/remove", methods=["POST"])
@event_required("registrants")
def remove(event_id: int, assignment_id: int):
    event = event_or_404(event_id)
    found_or_404(lambda: assignments.unassign(event, assignment_id, actor=_actor()), EventAssignment.DoesNotExist)
    return done(_("Assignment removed."), url_for("event_assigned.index", event_id=event.id))
