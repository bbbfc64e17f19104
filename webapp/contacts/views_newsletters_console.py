"""Console: newsletters (subscription lists with double opt-in) — the list, a newsletter's page
(its subscribers with their state and dates, the campaigns sent to it, its public subscribe link),
and an event's Newsletter page (the newsletter its registration form offers)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.accounts.access import event_required, org_id, role_required
from webapp.campaigns import service as campaigns
from webapp.contacts import newsletters
from webapp.contacts.newsletter_models import SUBSCRIPTION_STATES, Newsletter
from webapp.events.pages import event_or_404
from webapp.guards import row_id
from webapp.i18n import _

bp = Blueprint("newsletters", __name__, url_prefix="/console")

SUBSCRIBERS_SHOWN = 500


def _actor():
    return current_user._get_current_object()


def newsletter_or_404(newsletter_id: int) -> Newsletter:
    found = Newsletter.get_or_none((Newsletter.id == newsletter_id) & (Newsletter.organization == org_id()))
    if found is None:
        abort(404)
    return found


def _list_page(values=None, errors=None, status=200):
    items = list(Newsletter.for_org(org_id()).order_by(Newsletter.name))
    return render_template(
        "console/newsletters/list.html",
        newsletters=items,
        counts=newsletters.counts([n.id for n in items]),
        values=values or {},
        errors=errors or {},
    ), status


@bp.route("/newsletters/")
@role_required("manager")
def index():
    return _list_page()


@bp.route("/newsletters/", methods=["POST"])
@role_required("manager")
def create():
    values = {k: request.form.get(k, "") for k in ("name", "description")}
    try:
        newsletter = newsletters.create(org_id(), values["name"], values["description"], actor=_actor())
    except newsletters.NewsletterError as exc:
        return _list_page(values, {exc.field: exc.message}, 422)
    flash(_("Newsletter created. Share its subscribe link or offer it on an event's registration form."), "success")
    return redirect(url_for("newsletters.detail", newsletter_id=newsletter.id), code=303)


def _detail_page(newsletter: Newsletter, values=None, errors=None, status=200):
    state = request.args.get("state", "")
    state = state if state in SUBSCRIPTION_STATES else ""
    return render_template(
        "console/newsletters/detail.html",
        newsletter=newsletter,
        counts=newsletters.counts([newsletter.id])[newsletter.id],
        subscribers=newsletters.subscribers(newsletter, state=state or None, limit=SUBSCRIBERS_SHOWN),
        state=state,
        states=SUBSCRIPTION_STATES,
        campaigns=campaigns.for_newsletter(org_id(), newsletter.id),
        events=newsletters.events_offering(newsletter),
        subscribe_url=newsletters.subscribe_url(newsletter),
        values=values or {},
        errors=errors or {},
        shown=SUBSCRIBERS_SHOWN,
    ), status


@bp.route("/newsletters/<int:newsletter_id>")
@role_required("manager")
def detail(newsletter_id: int):
    return _detail_page(newsletter_or_404(newsletter_id))


@bp.route("/newsletters/<int:newsletter_id>", methods=["POST"])
@role_required("manager")
def edit(newsletter_id: int):
    newsletter = newsletter_or_404(newsletter_id)
    values = {k: request.form.get(k, "") for k in ("name", "description")}
    try:
        changes = newsletters.update(newsletter, values["name"], values["description"], actor=_actor())
    except newsletters.NewsletterError as exc:
        return _detail_page(newsletter_or_404(newsletter_id), values, {exc.field: exc.message}, 422)
    flash(_("Saved.") if changes else _("Nothing changed."), "success")
    return redirect(url_for("newsletters.detail", newsletter_id=newsletter.id), code=303)


@bp.route("/newsletters/<int:newsletter_id>/delete", methods=["POST"])
@role_required("manager")
def delete(newsletter_id: int):
    newsletters.delete(newsletter_or_404(newsletter_id), actor=_actor())
    flash(_("Newsletter deleted."), "success")
    return redirect(url_for("newsletters.index"), code=303)


# --- an event's newsletter ------------------------------------------------------------------------


def _event_page(event, errors=None, status=200):
    newsletter = (
        Newsletter.get_or_none((Newsletter.id == event.newsletter_id) & (Newsletter.organization == org_id()))
        if event.newsletter_id
        else None
    )
    return render_template(
        "console/newsletters/event.html",
        event=event,
        newsletter=newsletter,
        choices=list(Newsletter.for_org(org_id()).order_by(Newsletter.name)),
        counts=newsletters.counts([newsletter.id])[newsletter.id] if newsletter else None,
        campaigns=campaigns.for_newsletter(org_id(), newsletter.id) if newsletter else [],
        errors=errors or {},
    ), status


@bp.route("/events/<int:event_id>/newsletter")
@event_required("manage")
def event_newsletter(event_id: int):
    return _event_page(event_or_404(event_id))


@bp.route("/events/<int:event_id>/newsletter", methods=["POST"])
@event_required("manage")
def set_event_newsletter(event_id: int):
    event = event_or_404(event_id)
    raw = request.form.get("newsletter_id", "")
    try:
        newsletter_id = row_id(raw) if raw else None
        newsletters.link_event(event, newsletter_id, actor=_actor())
    except ValueError as exc:
        message = exc.message if isinstance(exc, newsletters.NewsletterError) else _("Choose a newsletter.")
        return _event_page(event, {"newsletter_id": message}, 422)
    flash(_("Saved."), "success")
    return redirect(url_for("newsletters.event_newsletter", event_id=event.id), code=303)
