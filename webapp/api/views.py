"""The JSON API v1 (/api/v1/...) and its OpenAPI document. Each resource module under
webapp/api/v1/ declares its routes on the "api" blueprint."""

from __future__ import annotations

import functools
import json

from flask import Response, current_app, render_template

from webapp.accounts.access import role_required
from webapp.api import docs as reference
from webapp.api import openapi
from webapp.api.framework import PREFIX, bp
from webapp.api.v1 import (  # noqa: F401  (importing a module declares its routes)
    assignments,
    catalog,
    checkins,
    contacts,
    documents,
    door_offline,
    events,
    grants,
    groups,
    ingest,
    invitations,
    newsletters,
    orders,
    projects,
    registrants,
    segments,
    transmissions,
)
from webapp.api.v2 import email_marketing  # noqa: F401  (/v2/email-marketing)

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
    return render_template(
        "console/api/docs.html",
        doc=doc,
        groups=reference.operations_by_tag(doc),
        schemas=doc["components"]["schemas"],
        type_of=reference.type_of,
        constraints=reference.constraints,
        md=reference.markdown_html,
        response_schema=reference.response_schema,
        response_text=reference.response_text,
    )
