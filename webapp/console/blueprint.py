"""The console blueprint: the home page, the event dashboard and the logs attach their routes to it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console")
