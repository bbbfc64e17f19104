"""Error pages (HTML) and error bodies (JSON under /api/)."""

from __future__ import annotations

import logging

from flask import current_app, jsonify, make_response, render_template, request
from flask_babel import gettext as _
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


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str, code: str | None = None, fields: dict | None = None):
    if wants_json():
        body = {"error": {"code": code or CODES.get(status, "error"), "message": message, "fields": fields or {}}}
        return jsonify(body), status
    return render_template("errors/error.html", status=status, message=message), status


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
