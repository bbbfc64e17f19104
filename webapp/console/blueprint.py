"""The console blueprint and the helpers its pages share."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from webapp.events.models import Event
from webapp.security import org_id

bp = Blueprint("console", __name__, url_prefix="/console")


def event_or_404(event_id: int) -> Event:
    """The event of the current organization (another organization's id answers 404)."""
    return Event.get_for_org(org_id(), event_id)


def is_fragment_request() -> bool:
    """An htmx request that swaps part of the page (a boosted link wants the whole page)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-Boosted")


def render_page(template: str, fragment: str, status: int = 200, /, **context):
    """One URL, two representations: the full page, or only the fragment htmx asked for."""
    return render_template(fragment if is_fragment_request() else template, **context), status
