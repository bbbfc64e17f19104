"""Helpers the resource modules share: the calling organization, wall-clock conversion for
services that take local times, and domain errors turned into API errors."""

from __future__ import annotations

import datetime as dt

from flask import g

from webapp import timeutil
from webapp.accounts.models import Organization
from webapp.api.framework import ApiError, invalid

MAX_ID = 2**31 - 1


def org() -> Organization:
    return Organization.get_by_id(g.api_org_id)


def org_id() -> int:
    return g.api_org_id


def actor_label() -> str:
    return g.get("api_actor") or "api"


def wall(value: dt.datetime | None, tz: str) -> dt.datetime | None:
    """UTC (as the API speaks) → the wall-clock time in `tz` (as set-up services take it)."""
    local = timeutil.to_local(value, tz)
    return local.replace(tzinfo=None) if local else None


def field_error(exc: Exception, rename: dict[str, str] | None = None, default_field: str = "body") -> ApiError:
    """A domain error with `.field` (and a message) → 422 naming the API field."""
    field = getattr(exc, "field", None) or default_field
    field = (rename or {}).get(field, field)
    message = getattr(exc, "message", None) or str(exc)
    return invalid(message, **{field: message})


def state_conflict(exc: Exception) -> ApiError:
    return ApiError(409, "conflict", getattr(exc, "message", None) or str(exc))
