"""Console: an event's participant groups (set-up, counts by state, registration links) and moving
registrants between groups."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.accounts.access import can_event, event_required
from webapp.catalog import groups as catalog_groups
from webapp.catalog.models import BADGE_LAYOUTS, GROUP_REGISTRATION, ParticipantGroup, Product
from webapp.events.pages import attempted, done, event_or_404, found_or_404, submitted
from webapp.guards import row_id, safe_redirect_target
from webapp.i18n import _, _l
from webapp.orders import groups, states

bp = Blueprint("event_groups", __name__, url_prefix="/console/events/<int:event_id>/groups")

REGISTRATION_LABELS = {
    "open": _l("Open: anyone with the group's link"),
    "invited": _l("Invited only"),
    "acceptance": _l("Request acceptance: every registration awaits an operator"),
    "accept_limit": _l("Accept limit: the first ones are accepted, then they await an operator"),
}
LAYOUT_LABELS = {"standard": _l("Standard"), "large_name": _l("Large name"), "ribbon": _l("Ribbon with the group")}


def _actor():
    return current_user._get_current_object()


def _form_data() -> dict:
    return {
        "name": request.form.get("name", ""),
        "capacity": request.form.get("capacity", ""),
        "registration": request.form.get("registration", "open"),
        "accept_limit": request.form.get("accept_limit", ""),
        "product_ids": request.form.getlist("product_ids"),
        "badge_layout": request.form.get("badge_layout", "standard"),
    }


def _context(event) -> dict:
    return {
        "event": event,
        "products": list(Product.select().where(Product.event == event.id).order_by(Product.position, Product.id)),
        "registrations": [(r, REGISTRATION_LABELS[r]) for r in GROUP_REGISTRATION],
        "layouts": [(name, LAYOUT_LABELS[name]) for name in BADGE_LAYOUTS],
        "state_labels": states.LABELS,
        "may_manage": can_event(event.id, "manage"),
    }


def _page(event, errors=None, values=None, status=200):
    rows = [
        {"group": g, "taken": groups.seats_taken(g), "states": states.counts(event, g)}
        for g in catalog_groups.groups_of(event)
    ]
    return render_template(
        "console/orders/groups.html", rows=rows, errors=errors or {}, values=values or {}, **_context(event)
    ), status


@bp.route("/", methods=["GET"])
@event_required("registrants")
def index(event_id: int):
    return _page(event_or_404(event_id))


@bp.route("/", methods=["POST"])
@event_required("manage")
def create(event_id: int):
    event = event_or_404(event_id)
    return submitted(
        lambda: catalog_groups.create(event, _form_data(), actor=_actor()),
        catalog_groups.GroupError,
        lambda exc: _page(event, {exc.field or "name": str(exc)}, request.form, 422),
        lambda group: _("Group %(name)s added.", name=group.name),
        url_for("event_groups.index", event_id=event.id),
    )


def _group(event, group_id: int) -> ParticipantGroup:
    return found_or_404(lambda: catalog_groups.group_of_event(event, group_id), ParticipantGroup.DoesNotExist)


@bp.route("/<int:group_id>", methods=["GET", "POST"])
@event_required("manage")
def edit(event_id: int, group_id: int):
    event = event_or_404(event_id)
    group = _group(event, group_id)
    errors, status = {}, 200
    if request.method == "POST":
        try:
            catalog_groups.update(group, _form_data(), actor=_actor())
        except catalog_groups.GroupError as exc:
            errors, status = {exc.field or "name": str(exc)}, 422
        else:
            return done(_("Group saved."), url_for("event_groups.index", event_id=event.id))
    return render_template(
        "console/orders/group_edit.html", group=group, errors=errors, values=request.form if errors else {},
        **_context(event),
    ), status  # fmt: skip


@bp.route("/<int:group_id>/remove", methods=["POST"])
@event_required("manage")
def remove(event_id: int, group_id: int):
    event = event_or_404(event_id)
    group = _group(event, group_id)
    return attempted(
        lambda: groups.remove(group, actor=_actor()), catalog_groups.GroupError, _("Group removed."),
        url_for("event_groups.index", event_id=event.id),
    )  # fmt: skip


@bp.route("/<int:group_id>/new-link", methods=["POST"])
@event_required("manage")
def new_link(event_id: int, group_id: int):
    event = event_or_404(event_id)
    catalog_groups.new_link(_group(event, group_id), actor=_actor())
    return done(
        _("The group has a new registration link; the old one no longer works."),
        url_for("event_groups.index", event_id=event.id),
    )


@bp.route("/move", methods=["POST"])
@event_required("registrants")
def move(event_id: int):
    """Move one registrant (from their page) or the ticked ones (from the registrant list)."""
    event = event_or_404(event_id)
    back = safe_redirect_target(request.form.get("next")) or url_for("registrants.registrants", event_id=event.id)
    target_id = request.form.get("group_id", type=row_id)
    ids = []
    for value in request.form.getlist("ids"):
        try:
            ids.append(row_id(value))
        except ValueError:
            abort(400)
    if target_id is None:
        flash(_("Choose a group."), "error")
        return redirect(back, code=303)
    target = _group(event, target_id)
    try:
        moved = groups.move(event, ids, target, actor=_actor())
    except groups.MoveError as exc:
        flash(str(exc), "error")
    else:
        flash(_("%(n)d registrant(s) moved to %(group)s.", n=moved, group=target.name), "success")
    return redirect(back, code=303)
