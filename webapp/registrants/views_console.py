"""The registrant list of an event: search, filters, sort, paging and bulk actions (htmx partials)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from webapp.accounts.access import event_required, org_id
from webapp.db import utcnow
from webapp.events.pages import event_or_404
from webapp.i18n import _
from webapp.orders import states
from webapp.registrants import bulk, listing
from webapp.templating import is_fragment_request, render_page

bp = Blueprint("registrants", __name__, url_prefix="/console")


def _list_context(event, filters, *, after=None, before=None, known_total=None, **extra) -> dict:
    page = listing.page(org_id(), event, filters, after=after, before=before, known_total=known_total)
    choices = listing.filter_choices(org_id(), event)
    default_group = choices["groups"][0]
    group_names = {g.id: g.name for g in choices["groups"]}
    now = utcnow()
    return {
        "event": event,
        "filters": filters,
        "page": page,
        "choices": choices,
        "row_groups": {r.id: group_names.get(r.group_id or default_group.id, "") for r in page.rows},
        "row_states": {r.id: states.of_registrant(r, r.order, event, now) for r in page.rows},
        "invitation_groups": {i.id: group_names.get(i.group_id or default_group.id, "") for i in page.invitations},
        "invitation_states": {i.id: states.of_invitation(i) for i in page.invitations},
        "state_labels": states.LABELS,
        "actions": bulk.ACTIONS,
        "inline_limit": bulk.INLINE_LIMIT,
        **extra,
    }


@bp.route("/events/<int:event_id>/registrants")
@event_required("participants")
def registrants(event_id: int):
    event = event_or_404(event_id)
    filters = listing.RegistrantFilters.from_args(request.args)
    context = _list_context(
        event,
        filters,
        after=request.args.get("after"),
        before=request.args.get("before"),
        known_total=request.args.get("n"),
    )
    return render_page("console/registrants/index.html", "console/registrants/_results.html", **context)


@bp.route("/events/<int:event_id>/registrants/bulk", methods=["POST"])
@event_required("registrants")
def registrants_bulk(event_id: int):
    event = event_or_404(event_id)
    filters = listing.RegistrantFilters.from_args(request.form)
    action = request.form.get("action", "")
    label = request.form.get("group_id", "") if action == "move" else request.form.get("label", "")
    scope = request.form.get("scope", "selected")
    ids = [int(v) for v in request.form.getlist("ids") if v.isdigit()]
    try:
        if scope == "all" or len(ids) > bulk.INLINE_LIMIT:
            picked = None if scope == "all" else ids  # a large hand-picked selection runs as a job too
            job = bulk.start_job(org_id(), event, action, filters, actor=current_user, label=label, ids=picked)
            return _after_bulk(event, filters, job=job, action=action)
        if not ids:
            raise bulk.BulkError("Select at least one registrant, or choose “all matching”.")
        result = bulk.apply(org_id(), event, action, ids, actor=current_user, label=label)
    except bulk.BulkError as exc:
        return _after_bulk(event, filters, error=str(exc), status=422, action=action, label=label)
    return _after_bulk(event, filters, result=result, action=action)


def _after_bulk(event, filters, *, status=200, **extra):
    context = _list_context(event, filters, bulk_action=extra.pop("action", ""), **extra)
    if not is_fragment_request():
        result = extra.get("result")
        if extra.get("error"):
            flash(extra["error"], "error")
        elif result is not None:
            flash(
                _(
                    "%(done)s done, %(skipped)s unchanged, %(failed)s refused.",
                    done=result.done,
                    skipped=result.skipped,
                    failed=result.failed,
                ),
                "success",
            )
        return redirect(url_for("registrants.registrants", event_id=event.id, **filters.to_args()), code=303)
    return render_page("console/registrants/index.html", "console/registrants/_results.html", status, **context)
