"""Console: who works on an event: per-event grants (manager, staff, door, guide)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from webapp.accounts import grants
from webapp.accounts.access import event_required, org_id
from webapp.accounts.forms import EventGrantForm
from webapp.accounts.models import EventGrant
from webapp.accounts.service import AccountError
from webapp.events.pages import event_or_404
from webapp.i18n import _

bp = Blueprint("event_team", __name__, url_prefix="/console/events/<int:event_id>/team")


def _grant_form(formdata=None) -> EventGrantForm:
    form = EventGrantForm() if formdata is None else EventGrantForm(formdata=formdata)
    form.user.choices = [(u.id, f"{u.name} <{u.email}>") for u in grants.members(org_id())]
    return form


def _page(event, form, status=200):
    context = {"event": event, "grants": grants.grants_for_event(org_id(), event.id), "grant_form": form}
    return render_template("console/events/team.html", **context), status


@bp.route("/", methods=["GET"])
@event_required("manage")
def team(event_id: int):
    return _page(event_or_404(event_id), _grant_form())


@bp.route("/grants", methods=["POST"])
@event_required("manage")
def grant(event_id: int):
    event = event_or_404(event_id)
    form = _grant_form()
    if form.validate_on_submit():
        try:
            grants.grant(org_id(), event.id, form.user.data, form.role.data, actor=current_user)
        except AccountError as exc:
            getattr(form, exc.field or "user").errors.append(str(exc))
        else:
            flash(_("Access saved."), "success")
            return redirect(url_for("event_team.team", event_id=event.id), code=303)
    return _page(event, form, 422)


@bp.route("/grants/<int:grant_id>/revoke", methods=["POST"])
@event_required("manage")
def revoke(event_id: int, grant_id: int):
    event = event_or_404(event_id)
    try:
        grants.revoke(org_id(), event.id, grant_id, actor=current_user)
    except EventGrant.DoesNotExist:
        abort(404)
    flash(_("Access removed."), "success")
    return redirect(url_for("event_team.team", event_id=event.id), code=303)
