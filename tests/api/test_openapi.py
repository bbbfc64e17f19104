from __future__ import annotations

import re

from openapi_spec_validator import validate

from webapp.api.framework import OPERATIONS, PREFIX


def _flask_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith((PREFIX + "/", "/v2/email-marketing")):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((method.lower(), path))
    return routes


def test_the_document_is_valid_openapi_3_1(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"] == "3.1.0"
    validate(doc)


def test_every_route_is_described_and_every_description_is_a_route(app, client):
    doc = client.get("/api/v1/openapi.json").json
    described = {(method, path) for path, item in doc["paths"].items() for method in item}
    assert _flask_routes(app) == described


def test_every_route_is_served_through_a_declared_operation(app):
    """No blueprint adds an /api/v1 route of its own: validation and the document cannot part."""
    declared = {f"api.{op.endpoint}" for op in OPERATIONS} | {"api.openapi_json"}
    served = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith(PREFIX + "/")}
    assert served - declared == set()
    assert {"api.create_checkin", "api.undo_checkin", "api.checkin_stats", "api.checkin_lists"} <= served


def test_the_ingestion_routes_keep_their_exact_paths(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "post" in paths["/api/v1/client/events"]
    assert "post" in paths["/api/v1/client/events/bulk"]
    assert "get" in paths["/api/v1/public/authenticated/events"]
    assert "get" in paths["/api/v1/public/authenticated/events/incoming"]
