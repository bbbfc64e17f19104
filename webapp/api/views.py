"""The JSON API v1 (/api/v1/...) and its OpenAPI document. Each resource module under
webapp/api/v1/ declares its routes on the "api" blueprint."""

from __future__ import annotations

import functools
import json

from flask import Response, current_app, render_template

from webapp.api import openapi
from webapp.api.framework import PREFIX, bp
from webapp.api.v1 import catalog, checkins, contacts, events, ingest  # noqa: F401  (importing declares the routes)
from webapp.security import role_required

__all__ = ["bp"]


@functools.cache
def _document_json(base_url: str) -> str:
    return json.dumps(openapi.document(base_url), indent=1)


@bp.route(f"{PREFIX}/openapi.json")
def openapi_json():
    response = Response(_document_json(current_app.config["SETTINGS"].base_url), mimetype="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/console/api/docs")
@role_required("admin")
def docs():
    doc = openapi.document(current_app.config["SETTINGS"].base_url)
    return render_template("console/api/docs.html", doc=doc, schemas=doc["components"]["schemas"])
