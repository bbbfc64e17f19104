"""Console: who works on an event: the members responsible for it and per-event grants (manager,
staff, door, guide)."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from webapp.accounts import grants
from webapp.accounts.access import event_required, org_id
from webapp.accounts.forms import EventGrantForm
from webapp.accounts.models import EventGrant
from webapp.accounts.service import AccountError
from webapp.events import staff
from webapp.events.forms import ResponsibleForm
from webapp.events.models import Event
from webapp.events.pages import apply_field_error, done, event_or_404, found_or_404
from webapp.events.service import FieldError
from webapp.i18n import _

bp = Blueprint("event_team", __name__, url_prefix="/console/events/<int:event_id>/team")


def _grant_form(formdata=None) -> EventGrantForm:
    form = EventGrantForm() if formdata is None else EventGrantForm(formdata=formdata)
    form.user.choices = [(u.id, f"{u.name} <{u.email}>") for u in grants.members(org_id())]
    return form


def _responsible_form(event: Event, formdata=None) -> ResponsibleForm:
    if formdata is None:
        form = ResponsibleForm(data={"responsible": [u.id for u in staff.responsible_users(event)]})
    else:
        form = ResponsibleForm(formdata=formdata)
    form.responsible.choices = [(u.id, f"{u.name} <{u.email}>") for u in grants.members(org_id())]
    return form


def _page(event, form=None, responsible_form=None, status=200):
    context = {
        "event": event,
        "creator": staff.creators([event]).get(event.created_by_id),
        "grants": grants.grants_for_event(org_id(), event.id),
        "grant_form": form or _grant_form(),
        "responsible_form": responsible_form or _responsible_form(event),
    }
    return render_template("console/events/team.html", **context), status


@bp.route("/", methods=["GET"])
@event_required("manage")
def team(event_id: int):
    return _page(event_or_404(event_id))


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
            return done(_("Access saved."), url_for("event_team.team", event_id=event.id))
    return _page(event, form, status=422)


@bp.route("/grants/<int:grant_id>/revoke", methods=["POST"])
@event_required("manage")
def revoke(event_id: int, grant_id: int):
    event = event_or_404(event_id)
    found_or_404(lambda: grants.revoke(org_id(), event.id, grant_id, actor=current_user), EventGrant.DoesNotExist)
    return done(_("Access removed."), url_for("event_team.team", event_id=event.id))


@bp.route("/responsible", methods=["POST"])
@event_required("manage")
def responsible(event_id: int):
    event = event_or_404(event_id)
    form = _responsible_form(event, formdata=request.form)
    if form.validate_on_submit():
        try:
            changes = staff.set_responsible(event, form.responsible.data or [], actor=current_user)
        except FieldError as exc:
            apply_field_error(form, exc)
        else:
            return done(
                _("Saved.") if changes else _("Nothing changed."), url_for("event_team.team", event_id=event.id)
            )
    return _page(event, responsible_form=form, status=422)
