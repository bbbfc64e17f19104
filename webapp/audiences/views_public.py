"""The visitor's side of audiences: the organization's VAPID public key, subscribing and
unsubscribing a browser (JSON from static/js/push.js, with the page's CSRF token), and the
service worker, served from the root so that its scope covers every page."""

from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, jsonify, request, send_from_directory

from webapp.accounts.models import Organization
from webapp.audiences import push, service
from webapp.events.models import Event
from webapp.i18n import _
from webapp.orders.models import Order

bp = Blueprint("audiences", __name__)

MAX_BODY = 16 * 1024


def _org(slug) -> Organization:
    org = Organization.get_or_none(Organization.slug == slug) if isinstance(slug, str) and len(slug) <= 80 else None
    if org is None:
        abort(404)
    return org


def _body() -> dict:
    if (request.content_length or 0) > MAX_BODY:
        abort(413)
    try:
        body = json.loads(request.get_data(cache=False) or b"null")
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        abort(400, _("A JSON object is expected."))
    return body


def _error(field: str, message: str, status: int = 400):
    return jsonify(error={"field": field, "message": message}), status


@bp.route("/push/<org_slug>/key")
def public_key(org_slug: str):
    org = _org(org_slug)
    return jsonify(publicKey=push.keys_for(org.id).public_key)


@bp.route("/push/subscribe", methods=["POST"])
def subscribe():
    body = _body()
    org = _org(body.get("org"))
    event = None
    if body.get("event") is not None:
        event_id = body["event"]
        if not isinstance(event_id, int) or isinstance(event_id, bool) or not 0 < event_id < 2**31:
            return _error("event", "Unknown event.")
        event = Event.get_or_none((Event.id == event_id) & (Event.organization == org.id))
        if event is None or event.status not in ("published", "closed"):
            return _error("event", "Unknown event.", 404)
    order = None
    if isinstance(body.get("order"), str) and len(body["order"]) <= 64:
        order = Order.get_or_none(Order.secret == body["order"])
    try:
        service.subscribe(org.id, event, body.get("subscription"), order=order)
    except service.AudienceError as exc:
        return _error(exc.field, str(exc))
    return jsonify(ok=True), 201


@bp.route("/push/unsubscribe", methods=["POST"])
def unsubscribe():
    body = _body()
    org = _org(body.get("org"))
    endpoint = body.get("endpoint")
    if not isinstance(endpoint, str) or len(endpoint) > 1000:
        return _error("endpoint", "A push endpoint is expected.")
    return jsonify(removed=service.unsubscribe(org.id, endpoint))


@bp.route("/push-sw.js")
def service_worker():
    response = send_from_directory(current_app.static_folder, "js/push-sw.js", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    response.mimetype = "text/javascript"
    return response
