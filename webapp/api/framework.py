"""How an /api/v1 route is declared: one `@operation(...)` per route names its method, path, body,
query, answer and scope. From that one declaration come the Flask route, the checks every call
goes through (key, scope, rate limit, body size, JSON, unknown fields, Idempotency-Key on POST),
the cursor pagination of lists, the JSON answer and the route's entry in the OpenAPI document.

    @operation("POST", "/events/<int:event_id>/publish", scope="events", summary="Publish an event",
               response=EventOut)
    def publish_event(event_id):
        ...
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import peewee as pw
from flask import Blueprint, Response, request

from webapp.api.auth import api_auth, api_error
from webapp.api.schema import _MISSING, Array, Bool, DateTime, Field, Int, Invalid, Malformed, Obj, Str, load_json
from webapp.i18n import _

PREFIX = "/api/v1"
MAX_ID = 2**31 - 1
DEFAULT_MAX_BODY = 1024 * 1024
DEFAULT_LIMIT = 50
MAX_LIMIT = 500

bp = Blueprint("api", __name__)


class ApiError(Exception):
    """Raised by a handler: answered as {"error": {"code", "message", "fields"}} with `status`."""

    def __init__(self, status: int, code: str, message: str, fields: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}


def invalid(message: str, **fields: str) -> ApiError:
    return ApiError(422, "invalid", message, fields)


def not_found(what: str = "Not found.") -> ApiError:
    return ApiError(404, "not_found", what)


def conflict(message: str, **fields: str) -> ApiError:
    return ApiError(409, "conflict", message, fields)


@dataclass
class Reply:
    """A handler's answer when the status differs from the declared one (it must be in `also`)."""

    value: Any
    status: int


@dataclass
class Operation:
    method: str
    rule: str  # Flask rule under PREFIX, e.g. "/events/<int:event_id>"
    summary: str
    tag: str
    scope: str | None
    write: bool
    response: Field | None
    status: int
    also: tuple[int, ...] = ()
    body: Obj | None = None
    query: dict[str, Field] = field(default_factory=dict)
    page: Obj | None = None  # a list answer: items of this shape, cursor-paginated
    description: str = ""
    max_body: int = DEFAULT_MAX_BODY
    endpoint: str = ""
    extra_errors: tuple[int, ...] = ()
    session_role: str | None = None  # a signed-in member with this role may call it too
    prefix: str = PREFIX  # /api/v1, or /v2/email-marketing's own

    @property
    def path(self) -> str:
        return self.prefix + self.rule

    @property
    def openapi_path(self) -> str:
        return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", self.path)

    @property
    def path_params(self) -> list[tuple[str, str]]:
        return [(name, conv or "string") for conv, name in re.findall(r"<(?:(\w+):)?(\w+)>", self.rule)]


OPERATIONS: list[Operation] = []


def page_query() -> dict[str, Field]:
    return {
        "limit": Int(minimum=1, maximum=MAX_LIMIT, default=DEFAULT_LIMIT, description="Items per page."),
        # 18 digits always fit a 64-bit id: a longer number would reach the database and fail there.
        "cursor": Str(max_length=18, pattern=r"^[0-9]+$", description="next_cursor of the previous page."),
    }


@functools.cache  # one page schema per item schema: two lists of contacts share "ContactPage"
def list_of(item: Obj) -> Obj:
    return Obj(
        f"{item.name}Page",
        {
            "data": Array(item),
            "next_cursor": Str(null=True, description="Pass as `cursor` for the next page; null on the last."),
        },
        required=("data", "next_cursor"),
    )


def operation(
    method: str,
    rule: str,
    *,
    summary: str,
    tag: str,
    scope: str | None,
    response: Field | None = None,
    status: int = 200,
    also: tuple[int, ...] = (),
    body: Obj | None = None,
    query: dict[str, Field] | None = None,
    page: Obj | None = None,
    write: bool | None = None,
    description: str = "",
    max_body: int = DEFAULT_MAX_BODY,
    extra_errors: tuple[int, ...] = (),
    session_role: str | None = None,
    prefix: str = PREFIX,
):
    """Declare and register one API route (see the module docstring). With `session_role`, a
    signed-in member with at least that role may call it from the app's own pages too (with the
    CSRF token on writes), as the door scanner does. `prefix`: where the route lives (/api/v1 by
    default). A handler may answer a file as a Flask Response of its own."""

    def decorator(handler: Callable):
        op = Operation(
            method=method,
            rule=rule,
            summary=summary,
            tag=tag,
            scope=scope,
            write=method != "GET" if write is None else write,
            response=list_of(page) if page is not None else response,
            status=status,
            also=also,
            body=body,
            query={**(query or {}), **(page_query() if page is not None else {})},
            page=page,
            description=description or (handler.__doc__ or "").strip(),
            max_body=max_body,
            endpoint=handler.__name__,
            extra_errors=extra_errors,
            session_role=session_role,
            prefix=prefix,
        )
        if any(o.endpoint == op.endpoint for o in OPERATIONS):
            raise ValueError(f"two API operations are named {op.endpoint!r}")
        OPERATIONS.append(op)
        view = api_auth(write=op.write, session_role=op.session_role, scope=op.scope)(_view_for(op, handler))
        bp.add_url_rule(op.path, endpoint=op.endpoint, view_func=view, methods=[method])
        return handler

    return decorator


def _view_for(op: Operation, handler: Callable):
    def view(**path_args):
        try:
            for name, conv in op.path_params:
                if conv == "int" and not 1 <= path_args[name] <= MAX_ID:
                    raise not_found()
            kwargs = dict(path_args)
            if op.query:
                kwargs["query"] = _load_query(op.query)
            body = _load_body(op) if op.method in ("POST", "PUT", "PATCH") else None
            if op.body is not None:
                kwargs["body"] = body
            return _run(op, handler, kwargs)
        except ApiError as exc:
            return api_error(exc.status, exc.code, exc.message, exc.fields)
        except Invalid as exc:
            return api_error(422, "invalid", "Some fields are not valid.", exc.fields)

    view.__name__ = op.endpoint
    view.__doc__ = handler.__doc__
    return view


def _run(op: Operation, handler: Callable, kwargs: dict) -> Response:
    try:
        result = handler(**kwargs)
    except ApiError as exc:
        return _json({"error": {"code": exc.code, "message": exc.message, "fields": exc.fields}}, exc.status)
    except Invalid as exc:
        return _json({"error": {"code": "invalid", "message": "Some fields are not valid.", "fields": exc.fields}}, 422)
    except pw.DoesNotExist:
        return _json({"error": {"code": "not_found", "message": "Not found.", "fields": {}}}, 404)
    if isinstance(result, Response):
        return result
    status = op.status
    if isinstance(result, Reply):
        assert result.status in (op.status, *op.also), f"{op.endpoint}: undeclared status {result.status}"
        status, result = result.status, result.value
    if op.page is not None:
        result = _paginate(op, result, kwargs["query"])
    return _json(op.response.dump(result) if op.response is not None else {}, status)


_encode = json.JSONEncoder(separators=(",", ":")).encode  # made once: json.dumps with options makes one per call


def _json(value, status: int) -> Response:
    return Response(_encode(value), status=status, mimetype="application/json")


# --- input ----------------------------------------------------------------------------------------


def _load_body(op: Operation):
    if request.content_length is not None and request.content_length > op.max_body:
        raise ApiError(413, "too_large", f"The body may be at most {op.max_body // 1024} KiB.")
    raw = request.get_data(cache=True)
    if len(raw) > op.max_body:
        raise ApiError(413, "too_large", f"The body may be at most {op.max_body // 1024} KiB.")
    if not raw.strip():
        if op.body is None or not op.body.required:
            return {} if op.body is not None else None
        raise invalid("Send a JSON object body.", body="Required.")
    if not request.mimetype or request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", _("Send the body as Content-Type: application/json."))
    try:
        data = load_json(raw)
    except Malformed as exc:
        raise ApiError(400, "malformed_json", str(exc)) from None
    if op.body is None:
        if data in ({}, None):
            return None
        raise invalid("This operation takes no body.", body="Send no body or {}.")
    return op.body.load(data)


def _load_query(fields: dict[str, Field]) -> dict:
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in request.args:
        if name not in fields:
            errors[name] = "Unknown query parameter."
    for name, declared in fields.items():
        raw = request.args.get(name)
        if raw is None:
            if declared.default is not _MISSING:
                values[name] = declared.default
            continue
        try:
            values[name] = _from_text(declared, raw, name)
        except Invalid as exc:
            errors.update(exc.fields)
    if errors:
        raise Invalid(errors)
    return values


def _from_text(declared: Field, raw: str, name: str):
    if isinstance(declared, Int):
        if not re.fullmatch(r"-?\d{1,12}", raw.strip()):
            raise Invalid({name: "Must be a whole number."})
        return declared.load(int(raw), name)
    if isinstance(declared, Bool):
        if raw not in ("true", "false"):
            raise Invalid({name: "Must be true or false."})
        return raw == "true"
    if isinstance(declared, DateTime):
        return declared.load(raw, name)
    return declared.load(raw, name)


# --- lists ----------------------------------------------------------------------------------------


def _paginate(op: Operation, select: pw.Select, query: dict) -> dict:
    """Newest first (by id); `cursor` is the last id of the previous page."""
    model = select.model
    limit = query.get("limit", DEFAULT_LIMIT)
    if query.get("cursor"):
        select = select.where(model.id < int(query["cursor"]))
    rows = list(select.order_by(model.id.desc()).limit(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"data": rows, "next_cursor": str(rows[-1].id) if more else None}
