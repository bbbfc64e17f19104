"""The OpenAPI 3.1 document, generated from the route declarations (webapp.api.framework), the only
way routes under /api/v1 are made, so it says exactly what the code does."""

from __future__ import annotations

from typing import Any

from webapp.api import payloads
from webapp.api.framework import OPERATIONS, PREFIX, Operation
from webapp.api.models import WEBHOOK_TOPICS
from webapp.api.schema import Components, Map, Obj, Str

ERROR = Obj(
    "Error",
    {
        "error": Obj(
            "ErrorDetail",
            {
                "code": Str(description="Stable, machine-readable: invalid, not_found, conflict, rate_limited, ..."),
                "message": Str(description="For people."),
                "fields": Map(Str(), max_properties=None, description="Field (dotted path) → message."),
            },
            required=("code", "message", "fields"),
        )
    },
    required=("error",),
)
ERROR_TEXT = {
    400: "Malformed JSON.",
    401: "No API key, or an unknown or revoked one.",
    403: "The key may not do this (read-only key, or outside its scopes).",
    404: "No such resource in your organization.",
    409: "A conflict: the resource's state forbids it, or the Idempotency-Key was used with another request.",
    413: "The body is too large.",
    415: "The body is not application/json.",
    422: "Some fields are not valid: `fields` names them.",
    429: "Too many requests for this key: wait Retry-After seconds.",
}

DESCRIPTION = """\
Runtime operations on a Rollcall organization: events, ticket products and coupons, orders,
registrants, check-ins, contacts, and event-tracking ingestion; email campaigns under
/v2/email-marketing and single sends (/api/v1/transmissions).

**Authentication**: `Authorization: Bearer <api key>`. Keys belong to one organization (console →
API keys); a read-only key may only read.

**Errors** are JSON: `{"error": {"code", "message", "fields"}}` with a 4xx status. Unknown body
fields and query parameters are refused (422).

**Lists** are newest first and paginated by cursor: `limit` (1-500, default 50) and `cursor` (the
`next_cursor` of the previous page, null on the last).

**Idempotency**: send `Idempotency-Key` on any POST. The same key with the same body replays the
first answer (header `Idempotent-Replayed: true`) for 24 hours; with another body it answers 409.

**Rate limit**: per key and minute (default 1,200); beyond it 429 with `Retry-After` (seconds).
"""


def _error_statuses(op: Operation) -> list[int]:
    statuses = [401, 403, 429, 422]
    if op.path_params:
        statuses.append(404)
    if op.method in ("POST", "PUT", "PATCH"):
        statuses += [400, 413, 415]
    if op.method == "POST":
        statuses.append(409)
    statuses += [s for s in op.extra_errors if s not in statuses]
    return sorted(set(statuses))


def _parameters(op: Operation, components: dict) -> list[dict]:
    params = []
    for name, conv in op.path_params:
        schema = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1} if conv == "int" else {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    for name, field in op.query.items():
        entry = {"name": name, "in": "query", "required": False, "schema": field.json_schema(components)}
        if field.description:
            entry["description"] = field.description
        params.append(entry)
    if op.method == "POST":
        params.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Makes a retried POST safe: the first answer is replayed for 24 hours.",
                "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"},
            }
        )
    return params


def _operation(op: Operation, components: dict) -> dict:
    success = {"description": "OK" if op.status < 300 else "Accepted" if op.status == 202 else "Created"}
    if op.response is not None:
        success["content"] = {"application/json": {"schema": op.response.json_schema(components)}}
    elif op.method == "GET":  # a file, in its own content type (a document's download)
        success["content"] = {"*/*": {"schema": {"type": "string", "format": "binary"}}}
    responses: dict[str, Any] = {str(op.status): success}
    for status in op.also:
        responses[str(status)] = success
    for status in _error_statuses(op):
        responses[str(status)] = {"$ref": f"#/components/responses/E{status}"}
    entry: dict[str, Any] = {
        "operationId": op.endpoint,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": _parameters(op, components),
        "responses": responses,
    }
    if op.description:
        entry["description"] = op.description
    if op.body is not None:
        entry["requestBody"] = {
            "required": bool(op.body.required),
            "content": {"application/json": {"schema": op.body.json_schema(components)}},
        }
    return entry


def document(base_url: str = "") -> dict:
    components = Components()
    error_ref = ERROR.json_schema(components)
    paths: dict[str, dict] = {}
    for op in sorted(OPERATIONS, key=lambda o: (o.tag, o.openapi_path)):
        paths.setdefault(op.openapi_path, {})[op.method.lower()] = _operation(op, components)
    paths[f"{PREFIX}/openapi.json"] = {
        "get": {
            "operationId": "openapi",
            "summary": "This document",
            "tags": ["Meta"],
            "security": [],
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}
            },
        }
    }
    responses = {}
    for status, text in ERROR_TEXT.items():
        responses[f"E{status}"] = {"description": text, "content": {"application/json": {"schema": error_ref}}}
    responses["E429"]["headers"] = {
        "Retry-After": {"description": "Seconds to wait.", "required": True, "schema": {"type": "integer"}}
    }
    webhooks = {
        topic: {
            "post": {
                "operationId": f"webhook_{topic.replace('.', '_')}",
                "summary": f"{topic} (signed: Rollcall-Signature: t=<unix time>,v1=<HMAC-SHA256 hex>)",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": payloads.message_schema(topic).json_schema(components)}},
                },
                "responses": {"200": {"description": "Any 2xx: received."}},
                "security": [],
            }
        }
        for topic in WEBHOOK_TOPICS
    }
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "Rollcall API", "version": "1.0.0", "description": DESCRIPTION},
        "paths": paths,
        "webhooks": webhooks,
        "components": {
            "schemas": dict(sorted(components.items())),
            "responses": responses,
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer", "description": "An API key."}},
        },
        "security": [{"apiKey": []}],
        "tags": [{"name": t} for t in sorted({op.tag for op in OPERATIONS})],
    }
    if base_url:
        doc["servers"] = [{"url": base_url}]
    return doc
