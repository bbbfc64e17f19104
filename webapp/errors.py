"""Error pages (HTML) and error bodies (JSON under /api/)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from flask import current_app, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from peewee import DoesNotExist
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

log = logging.getLogger("rollcall")

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
}


# A page under an event's address (its landing page, registration, calendar): /e/<org>/<event>/...
UNDER_EVENT = re.compile(r"^/e/(?P<org>[^/]+)/(?P<event>[^/]+)/.")


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/v2/"))


ErrorPage = Callable[[int, str], object]  # (status, message) -> a response


def add_error_page(app, prefix: str, render: ErrorPage) -> None:
    """The HTML errors of the paths under `prefix` are answered by `render(status, message)`
    instead of the site's error page (the widgets: a page their frame may show)."""
    app.extensions.setdefault("rollcall.error_pages", {})[prefix] = render


def error_response(status: int, message: str, code: str | None = None, fields: dict | None = None):
    if wants_json():
        body = {"error": {"code": code or CODES.get(status, "error"), "message": message, "fields": fields or {}}}
        return jsonify(body), status
    for prefix, render in current_app.extensions.get("rollcall.error_pages", {}).items():
        if request.path.startswith(prefix):
            try:
                return render(status, message)
            except Exception:  # the error may be the database's: the site's own page still shows
                log.exception("the error page for %s failed; the site's error page answers", prefix)
            break
    return render_template("errors/error.html", status=status, message=message, **_ways_back()), status


def _ways_back() -> dict:
    """Where an error page sends its reader: an attendee back to the event whose address this is,
    an operator to the console; never to the sign-in page of an attendee."""
    under_event = UNDER_EVENT.match(request.path)
    try:
        operator = request.path.startswith("/console") or bool(current_user.is_authenticated)
    except Exception:  # the error may be the database's: the page still shows
        operator = request.path.startswith("/console")
    return {
        "event_url": f"/e/{under_event['org']}/{under_event['event']}" if under_event else None,
        "console_url": "/console/" if operator else None,
    }


def _too_large() -> str:
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return _("The upload is too large: this site accepts at most %(mb)s MB at once.", mb=max(limit // 2**20, 1))


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc):
        return error_response(
            400, "The form expired or was not sent from this site. Reload the page and try again.", "csrf"
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        too_large = isinstance(exc, RequestEntityTooLarge) and exc.description == RequestEntityTooLarge.description
        message = _too_large() if too_large else exc.description or exc.name
        response = make_response(error_response(exc.code or 500, message))
        if exc.code == 405 and getattr(exc, "valid_methods", None):
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return _http(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, InternalServerError.description)

    @app.errorhandler(DoesNotExist)
    def _missing(exc):
        # A row of another organization is "not found", never its data.
        return error_response(404, "Not found.")
