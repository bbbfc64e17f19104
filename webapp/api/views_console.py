"""Console → API docs → Webhooks: endpoints, their deliveries and attempts, the signing secret."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_login import current_user

from webapp.accounts.access import org_id, role_required
from webapp.api import webhooks
from webapp.api.forms import WebhookForm
from webapp.api.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webapp.i18n import _

bp = Blueprint("api_console", __name__, url_prefix="/console/webhooks")

DELIVERIES_SHOWN = 50


def _apply_error(form: WebhookForm, exc: webhooks.WebhookError) -> None:
    getattr(form, exc.field or "url").errors.append(str(exc))


@bp.route("/", methods=["GET", "POST"])
@role_required("admin")
def index():
    form = WebhookForm()
    if form.validate_on_submit():
        try:
            endpoint, secret = webhooks.create_endpoint(
                org_id(), url=form.url.data, topics=form.topics.data, description=form.description.data or "",
                actor=current_user,
            )  # fmt: skip
        except webhooks.WebhookError as exc:
            _apply_error(form, exc)
        else:
            session["webhook_secret"] = {"id": endpoint.id, "secret": secret}
            return redirect(url_for("api_console.endpoint", endpoint_id=endpoint.id), code=303)
    endpoints = list(WebhookEndpoint.for_org(org_id()).order_by(WebhookEndpoint.created_at.desc()))
    status = 422 if form.is_submitted() else 200
    return render_template("console/api/webhooks.html", form=form, endpoints=endpoints), status


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    return WebhookEndpoint.get_for_org(org_id(), endpoint_id)


def _endpoint_page(endpoint: WebhookEndpoint, form: WebhookForm, status: int = 200):
    shown = session.pop("webhook_secret", None)
    secret = shown["secret"] if shown and shown.get("id") == endpoint.id else None
    deliveries = list(
        WebhookDelivery.select()
        .where(WebhookDelivery.endpoint == endpoint.id)
        .order_by(WebhookDelivery.id.desc())
        .limit(DELIVERIES_SHOWN)
    )
    attempts: dict[int, list[WebhookAttempt]] = {}
    if deliveries:
        for attempt in WebhookAttempt.select().where(WebhookAttempt.delivery.in_([d.id for d in deliveries])):
            attempts.setdefault(attempt.delivery_id, []).append(attempt)
    return render_template(
        "console/api/webhook.html", endpoint=endpoint, form=form, secret=secret, deliveries=deliveries,
        attempts=attempts,
    ), status  # fmt: skip


@bp.route("/<int:endpoint_id>", methods=["GET", "POST"])
@role_required("admin")
def endpoint(endpoint_id: int):
    row = _endpoint(endpoint_id)
    form = WebhookForm(obj=row)
    if form.validate_on_submit():
        try:
            webhooks.update_endpoint(
                row, url=form.url.data, topics=form.topics.data, description=form.description.data or "",
                active=form.active.data, actor=current_user,
            )  # fmt: skip
        except webhooks.WebhookError as exc:
            _apply_error(form, exc)
        else:
            flash(_("Webhook saved."), "success")
            return redirect(url_for("api_console.endpoint", endpoint_id=row.id), code=303)
    return _endpoint_page(row, form, 422 if form.is_submitted() else 200)


@bp.route("/<int:endpoint_id>/rotate", methods=["POST"])
@role_required("admin")
def rotate(endpoint_id: int):
    row = _endpoint(endpoint_id)
    session["webhook_secret"] = {"id": row.id, "secret": webhooks.rotate_secret(row, actor=current_user)}
    flash(_("New signing secret made: deliveries are signed with it from now on."), "success")
    return redirect(url_for("api_console.endpoint", endpoint_id=row.id), code=303)


@bp.route("/<int:endpoint_id>/delete", methods=["POST"])
@role_required("admin")
def delete(endpoint_id: int):
    webhooks.delete_endpoint(_endpoint(endpoint_id), actor=current_user)
    flash(_("Webhook deleted."), "success")
    return redirect(url_for("api_console.index"), code=303)


@bp.route("/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver", methods=["POST"])
@role_required("admin")
def redeliver(endpoint_id: int, delivery_id: int):
    row = _endpoint(endpoint_id)
    delivery = WebhookDelivery.get_or_none((WebhookDelivery.id == delivery_id) & (WebhookDelivery.endpoint == row.id))
    if delivery is None:
        abort(404)
    webhooks.redeliver(delivery, actor=current_user)
    flash(_("Delivery queued again."), "success")
    return redirect(url_for("api_console.endpoint", endpoint_id=row.id), code=303)
