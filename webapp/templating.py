"""Jinja filters and globals shared by every surface."""

from __future__ import annotations

from babel.dates import format_skeleton
from babel.numbers import format_compact_currency
from flask import Response, current_app, g, make_response, render_template, request
from flask_babel import get_locale
from wtforms.widgets import ListWidget

from webapp import money, timeutil


def is_fragment_request() -> bool:
    """An htmx request that swaps part of the page (a boosted link or form wants the whole page).
    Asking marks the response as depending on the header: it gets `Vary: HX-Request`."""
    g.varies_on_htmx = True
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-Boosted")


def render_page(template: str, fragment: str, status: int = 200, /, **context) -> Response:
    """One URL, two representations: the full page, or only the fragment htmx asked for."""
    chosen = fragment if is_fragment_request() else template
    return make_response(render_template(chosen, **context), status)


def init_app(app) -> None:
    @app.after_request
    def _vary(response):
        # Both representations say they depend on the header, so no cache serves one for the other.
        if g.get("varies_on_htmx") or request.headers.get("HX-Request"):
            response.vary.add("HX-Request")
        return response

    @app.template_test("choice_group")
    def _choice_group(field) -> bool:
        """A field drawn as a list of radio buttons or checkboxes (shown as one labelled group)."""
        return isinstance(getattr(field, "widget", None), ListWidget)

    @app.template_filter("money")
    def _money(amount, currency):
        if amount is None:
            return ""
        return money.format_money(amount, currency, str(get_locale() or "en"))

    @app.template_filter("money_compact")
    def _money_compact(amount, currency):
        """Short money for chart scales: "Rp125 jt", "$1.5K"."""
        if amount is None:
            return ""
        major = money.to_major(amount, currency)
        return format_compact_currency(major, currency, locale=str(get_locale() or "en"), fraction_digits=1)

    @app.template_filter("localtime")
    def _localtime(value, tz="UTC", fmt="%a %d %b %Y, %H:%M"):
        local = timeutil.to_local(value, tz)
        return local.strftime(fmt) if local else ""

    @app.template_filter("clock")
    def _clock(value, tz="UTC"):
        """A time of day in `tz`, 24 hours with seconds, written the language's way (the door's
        scanner script writes its answers the same way)."""
        local = timeutil.to_local(value, tz)
        return format_skeleton("Hms", local, locale=str(get_locale() or "en")) if local else ""

    @app.template_global()
    def page_language() -> str:
        """The language the page is written in (its <html lang>)."""
        return str(get_locale() or "en")

    @app.context_processor
    def _globals():
        return {
            "current_org": g.get("org"),
            "current_membership": g.get("membership"),
            "settings": current_app.config["SETTINGS"],
        }
