"""The routes a resource of the organization has alike — list, create, read, update, delete —
declared once. A module names its model, path and domain errors; each route it wants is one call
giving the summary, the shapes and the service call:

    PROJECTS = OrgResource(Project, "/projects", "project", "projects", tag="Projects", scope="events",
                           errors={service.ProjectError: field_error})
    read_project = PROJECTS.read(summary="Get a project", response=ProjectOut)

The endpoint names (list_projects, read_project, ...) are the OpenAPI operation ids. Rows are found
with `get_for_org`, so a row of another organization answers 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g

from webapp.api.framework import ApiError, operation
from webapp.api.schema import Bool, Field, Int, Obj, Out

Errors = dict[type[Exception], Callable[[Exception], ApiError]]


def _same(row: Any) -> Any:
    return row


def guarded(errors: Errors, call: Callable, *args, **kwargs) -> Any:
    """`call(*args, **kwargs)`, a domain error of `errors` turned into the API error it maps to."""
    try:
        return call(*args, **kwargs)
    except tuple(errors) as exc:
        raise next(to(exc) for kind, to in errors.items() if isinstance(exc, kind)) from None


class OrgResource:
    def __init__(
        self, model, path: str, singular: str, plural: str, *, tag: str, scope: str, errors: Errors | None = None
    ):
        self.model, self.path, self.singular, self.plural = model, path, singular, plural
        self.tag, self.scope, self.errors = tag, scope, errors or {}
        self.param = f"{singular}_id"
        self.item_path = f"{path}/<int:{self.param}>"

    def get(self, row_id: int):
        """The organization's row, or 404."""
        return self.model.get_for_org(g.api_org_id, row_id)

    def _declare(self, method: str, rule: str, name: str, handler: Callable, **options) -> Callable:
        handler.__name__ = handler.__qualname__ = name
        handler.__doc__ = options.pop("description", "") or None
        operation(method, rule, tag=self.tag, scope=self.scope, **options)(handler)
        return handler

    def list(self, *, summary: str, page: Obj) -> Callable:
        def handler(query):
            return self.model.for_org(g.api_org_id)

        return self._declare("GET", self.path, f"list_{self.plural}", handler, summary=summary, page=page)

    def create(
        self, *, summary: str, body: Obj, response: Field, make: Callable[[dict], Any], show: Callable = _same
    ) -> Callable:
        """POST path: `make(body)` answers the new row (201), shown through `show`."""

        def handler(body):
            return show(guarded(self.errors, make, body))

        return self._declare(
            "POST", self.path, f"create_{self.singular}", handler,
            summary=summary, body=body, response=response, status=201,
        )  # fmt: skip

    def read(self, *, summary: str, response: Field, show: Callable = _same) -> Callable:
        def handler(**path):
            return show(self.get(path[self.param]))

        return self._declare(
            "GET", self.item_path, f"read_{self.singular}", handler, summary=summary, response=response
        )

    def update(
        self,
        *,
        summary: str,
        body: Obj,
        response: Field,
        change: Callable[[Any, dict], Any],
        show: Callable = _same,
        name: str = "",
    ) -> Callable:
        """PATCH item path: `change(row, body)`, then the row read again, shown through `show`."""

        def handler(body, **path):
            row = self.get(path[self.param])
            guarded(self.errors, change, row, body)
            return show(self.model.get_by_id(row.id))

        return self._declare(
            "PATCH", self.item_path, name or f"update_{self.singular}", handler,
            summary=summary, body=body, response=response,
        )  # fmt: skip

    def delete(
        self,
        *,
        summary: str,
        remove: Callable[[Any], Any],
        errors: Errors | None = None,
        description: str = "",
        extra_errors: tuple[int, ...] = (),
    ) -> Callable:
        """DELETE item path: `remove(row)`; answers {"id", "deleted": true}. `errors` are the
        delete's own (none by default)."""

        def handler(**path):
            row_id = path[self.param]
            guarded(errors or {}, remove, self.get(row_id))
            return {"id": row_id, "deleted": True}

        return self._declare(
            "DELETE", self.item_path, f"delete_{self.singular}", handler, summary=summary,
            response=Out(f"{self.model.__name__}Deleted", {"id": Int(), "deleted": Bool()}),
            description=description, extra_errors=extra_errors,
        )  # fmt: skip
