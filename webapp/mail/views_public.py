"""The open image and the click redirect of tracked mail (webapp/mail/tracking.py). No session,
no CSRF: the signed token in the URL is all they take, and a bad one answers 404. They read
nothing from the database: the hit is queued for the worker to record (tracking.queue_hit)."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request

from webapp.mail import tracking

bp = Blueprint("mail_public", __name__)

_NO_CACHE = {"Cache-Control": "no-store, private", "X-Robots-Tag": "noindex"}


@bp.route("/m/o/<token>", methods=["GET", "HEAD"])
def opened(token: str):
    message_id = tracking.open_target(token)
    if message_id is None:
        abort(404)
    if request.method == "GET":
        tracking.queue_hit(message_id, "open", None, request.headers.get("User-Agent"))
    return tracking.PIXEL, 200, {**_NO_CACHE, "Content-Type": "image/gif"}


@bp.route("/m/c/<token>", methods=["GET", "HEAD"])
def clicked(token: str):
    target = tracking.click_target(token)
    if target is None:
        abort(404)
    if request.method == "GET":
        tracking.queue_hit(target[0], "click", target[1], request.headers.get("User-Agent"))
    response = redirect(target[1], code=302)
    response.headers.update(_NO_CACHE)
    return response
