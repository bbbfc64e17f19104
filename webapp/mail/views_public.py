"""The open image and the click redirect of tracked mail (webapp/mail/tracking.py). No session,
no CSRF: the signed token in the URL is all they take, and a bad one answers 404. They read
nothing from the database: the hit is queued for the worker to record (tracking.queue_hit).

A campaign's messages bring bursts of them, so a valid token is answered before Flask's request
machinery (`HitAnswers`, in front of the app): no session cookie read or written, no CSRF check, no
signed-in user or membership loaded, no locale, no template. What every answer carries is kept
(the security headers, the request id, the request's duration in the metrics); anything else (a
bad token, another method) goes through the app and its routes below.
"""

from __future__ import annotations

import functools
import html
import time
from collections.abc import Callable, Iterable

from flask import Blueprint, Flask, abort, redirect, request
from werkzeug.urls import iri_to_uri

from webapp import observability, security
from webapp.db import connection
from webapp.mail import tracking

bp = Blueprint("mail_public", __name__)

_NO_CACHE = {"Cache-Control": "no-store, private", "X-Robots-Tag": "noindex"}
OPEN_PREFIX, CLICK_PREFIX = "/m/o/", "/m/c/"


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


# The answers every response of the app carries (webapp/security.py), and these routes' own.
_COMMON = [
    ("Cache-Control", "no-store, private"),
    ("X-Robots-Tag", "noindex"),
    *security.DEFAULTS,  # what security.init_app adds to every other answer
]
_PIXEL_HEADERS = [("Content-Type", "image/gif"), ("Content-Length", str(len(tracking.PIXEL))), *_COMMON]


@functools.lru_cache(maxsize=4096)
def _location(url: str) -> tuple[str, bytes]:
    """The Location header of a link (a campaign's few links are followed thousands of times) and
    the short page a client that does not follow redirects shows."""
    location = iri_to_uri(url)
    escaped = html.escape(location)
    page = (
        "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n"
        f'<p>You should be redirected automatically to the target URL: <a href="{escaped}">{escaped}</a>. '
        "If not, click the link.\n"
    )
    return location, page.encode()


class HitAnswers:
    """WSGI middleware: GET and HEAD of /m/o/<token> and /m/c/<token> with a valid token, answered
    here (the hit queued in one insert); every other request goes on to `wrapped`."""

    def __init__(self, app: Flask, wrapped: Callable):
        self.app, self.wrapped = app, wrapped

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD") or not path.startswith((OPEN_PREFIX, CLICK_PREFIX)):
            return self.wrapped(environ, start_response)
        token = path[len(OPEN_PREFIX) :]
        if not token or "/" in token:
            return self.wrapped(environ, start_response)
        started = time.perf_counter()
        rid = observability.sane_request_id(environ.get("HTTP_X_REQUEST_ID")) or observability.new_request_id()
        named = observability.request_id.set(rid)  # the queued hit carries it, as a view's work would
        try:
            with self.app.app_context():
                if path.startswith(OPEN_PREFIX):
                    answer, route = self._opened(token, method, environ), "/m/o/<token>"
                else:
                    answer, route = self._clicked(token, method, environ), "/m/c/<token>"
        finally:
            observability.request_id.reset(named)
        if answer is None:
            return self.wrapped(environ, start_response)  # a bad token: the app's 404 page
        status, headers, body = answer
        headers.append((observability.HEADER, rid))
        observability.REQUEST_SECONDS.labels(route, method, status[:3]).observe(time.perf_counter() - started)
        start_response(status, headers)
        return [b""] if method == "HEAD" else [body]

    def _opened(self, token: str, method: str, environ: dict) -> tuple[str, list, bytes] | None:
        message_id = tracking.open_target(token)
        if message_id is None:
            return None
        if method == "GET":
            self._queue(message_id, "open", None, environ)
        return "200 OK", list(_PIXEL_HEADERS), tracking.PIXEL

    def _clicked(self, token: str, method: str, environ: dict) -> tuple[str, list, bytes] | None:
        target = tracking.click_target(token)
        if target is None:
            return None
        if method == "GET":
            self._queue(target[0], "click", target[1], environ)
        location, page = _location(target[1])
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(page))),
            ("Location", location),
            *_COMMON,
        ]
        return "302 FOUND", headers, page

    @staticmethod
    def _queue(message_id: int, kind: str, url: str | None, environ: dict) -> None:
        connection.db.connect(reuse_if_open=True)
        try:
            tracking.queue_hit(message_id, kind, url, environ.get("HTTP_USER_AGENT"))
        finally:
            connection.close_db()


@bp.record_once
def _answer_hits_first(state) -> None:
    state.app.wsgi_app = HitAnswers(state.app, state.app.wsgi_app)
