"""Jinja filters and globals shared by every surface."""

from __future__ import annotations

import re

from babel.dates import format_date, format_datetime, format_skeleton
from babel.numbers import format_compact_currency, format_decimal
from flask import Response, current_app, g, make_response, render_template, request
from flask_babel import get_locale
from wtforms.widgets import ListWidget

from webapp import money, timeutil
from webapp.i18n import _l, render_stored

# strftime directives as CLDR pattern letters, so a date keeps its layout but names its months and
# days in the page's language ("07 Des 2026" in Indonesian, not "07 Dec 2026").
_CLDR = {
    "a": "EEE",
    "A": "EEEE",
    "d": "dd",
    "e": "d",
    "b": "MMM",
    "B": "MMMM",
    "m": "MM",
    "Y": "yyyy",
    "y": "yy",
    "H": "HH",
    "M": "mm",
    "S": "ss",
    "Z": "z",
    "%": "%",
}
_DIRECTIVE = re.compile(r"%(.)")


ORDER_STATUS_LABELS = {
    "pending": _l("Pending"),
    "paid": _l("Paid"),
    "expired": _l("Expired"),
    "canceled": _l("Canceled"),
    "refunded": _l("Refunded"),
}

ROLE_LABELS = {
    "owner": _l("owner"),
    "admin": _l("admin"),
    "manager": _l("manager"),
    "door": _l("door staff"),
    "member": _l("member"),
}


def cldr_pattern(fmt: str) -> str:
    """A strftime format written as a CLDR date pattern (literal text quoted)."""
    out, last = [], 0
    for m in _DIRECTIVE.finditer(fmt):
        out.append(_quoted(fmt[last : m.start()]))
        out.append(_CLDR.get(m.group(1), _quoted(m.group(0))))
        last = m.end()
    out.append(_quoted(fmt[last:]))
    return "".join(out)


def _quoted(text: str) -> str:
    if not text:
        return ""
    if not re.search(r"[A-Za-z']", text):
        return text
    return "'" + text.replace("'", "''") + "'"


def page_locale() -> str:
    return str(get_locale() or "en")


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

    @app.template_filter("in_reader_language")
    def _in_reader_language(value, english=""):
        """A stored message (webapp.i18n.stored_text) in the reader's language; `english`, the
        text stored beside it, for rows that have no message."""
        return render_stored(value, english or "")

    @app.template_filter("money")
    def _money(amount, currency):
        if amount is None:
            return ""
        return money.format_money(amount, currency, str(get_locale() or "en"))

    @app.template_filter("number")
    def _number(value):
        """A count with the language's digit grouping ("12,345" in English, "12.345" in Indonesian)."""
        if value is None:
            return ""
        return format_decimal(value, locale=page_locale())

    @app.template_filter("money_compact")
    def _money_compact(amount, currency):
        """Short money for chart scales: "Rp125 jt", "$1.5K"."""
        if amount is None:
            return ""
        major = money.to_major(amount, currency)
        return format_compact_currency(major, currency, locale=str(get_locale() or "en"), fraction_digits=1)

    @app.template_filter("localtime")
    def _localtime(value, tz="UTC", fmt="%a %d %b %Y, %H:%M"):
        """A UTC time in `tz`, laid out as `fmt` (strftime letters) with month and day names in the
        page's language."""
        local = timeutil.to_local(value, tz)
        return format_datetime(local, cldr_pattern(fmt), locale=page_locale()) if local else ""

    @app.template_filter("day")
    def _day(value, fmt="%d %b %Y"):
        """A calendar day (no time zone to move it by), names in the page's language."""
        return format_date(value, cldr_pattern(fmt), locale=page_locale()) if value else ""

    @app.template_filter("clock")
    def _clock(value, tz="UTC"):
        """A time of day in `tz`, 24 hours with seconds, written the language's way (the door's
        scanner script writes its answers the same way)."""
        local = timeutil.to_local(value, tz)
        return format_skeleton("Hms", local, locale=str(get_locale() or "en")) if local else ""

    @app.template_global()
    def order_status_label(status: str) -> str:
        """An order's status in the page's language."""
        return str(ORDER_STATUS_LABELS.get(status, status))

    @app.template_global()
    def role_label(role: str) -> str:
        """A member's role in the page's language."""
        return str(ROLE_LABELS.get(role, role))

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
