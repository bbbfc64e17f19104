"""Jinja filters and globals shared by every surface."""

from __future__ import annotations

from flask import current_app, g
from flask_babel import get_locale
from werkzeug.routing import BuildError

from webapp import money, timeutil
from webapp.security import has_role


def init_app(app) -> None:
    @app.template_filter("money")
    def _money(amount, currency):
        if amount is None:
            return ""
        return money.format_money(amount, currency, str(get_locale() or "en"))

    @app.template_filter("localtime")
    def _localtime(value, tz="UTC", fmt="%a %d %b %Y, %H:%M"):
        local = timeutil.to_local(value, tz)
        return local.strftime(fmt) if local else ""

    @app.template_global()
    def endpoint_exists(endpoint: str) -> bool:
        try:
            current_app.url_map.iter_rules(endpoint)
            return endpoint in current_app.view_functions
        except (KeyError, BuildError):
            return False

    @app.context_processor
    def _globals():
        return {
            "has_role": has_role,
            "current_org": g.get("org"),
            "current_membership": g.get("membership"),
            "settings": current_app.config["SETTINGS"],
        }
