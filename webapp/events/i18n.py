"""Which language an attendee sees: their explicit choice, else what we remember, else their
browser, among the languages the event offers."""

from __future__ import annotations

import datetime as dt
import functools

from babel.dates import format_date, format_datetime, format_time
from flask import g, request, session
from flask_babel import get_locale, refresh
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from webapp import timeutil
from webapp.events.models import Event

LOCALE_PARAM = "lang"


def event_languages(event: Event) -> list[str]:
    return list(event.languages or ["en"])


def choose_locale(
    event: Event, *, requested: str | None, remembered: list[str | None], accept=None
) -> tuple[str, bool]:
    """(locale, whether it was requested explicitly)."""
    offered = event_languages(event)
    if requested in offered:
        return requested, True
    for locale in remembered:
        if locale in offered:
            return locale, False
    if accept is not None:
        best = accept.best_match(offered)
        if best:
            return best, False
    return offered[0], False


def apply_event_locale(event: Event, preferred: str | None = None) -> str:
    """Set the request's language for a page of `event` and return it. `?lang=xx` switches (and
    is remembered in the session); `preferred` is e.g. the locale stored on an order."""
    locale, explicit = choose_locale(
        event,
        requested=request.args.get(LOCALE_PARAM),
        remembered=[preferred, session.get("locale")],
        accept=BrowserLanguages(request.headers.get("Accept-Language")),
    )
    if explicit and session.get("locale") != locale:  # a session set again is a cookie sent again
        session["locale"] = locale
    g.locale = locale
    refresh()
    return locale


class BrowserLanguages:
    """An Accept-Language header's best match among the languages offered, remembered per header
    and offer: browsers send a handful of different headers, and parsing one on every request of
    a busy page costs more than the rest of choosing the page's language."""

    def __init__(self, header: str | None) -> None:
        self.header = header or ""

    def best_match(self, offered: list[str]) -> str | None:
        return _best_language(self.header, tuple(offered)) if self.header else None


@functools.lru_cache(maxsize=512)
def _best_language(header: str, offered: tuple[str, ...]) -> str | None:
    return parse_accept_header(header, LanguageAccept).best_match(offered)


def current_locale() -> str:
    return str(get_locale() or "en")


def event_when(event: Event, locale: str | None = None) -> str:
    """The event's dates in its timezone, in words: "Saturday, 12 December 2026, 09:00 – 17:00 WIB"."""
    locale = locale or current_locale()
    start = timeutil.to_local(event.starts_at, event.timezone)
    end = timeutil.to_local(event.ends_at, event.timezone)
    zone_label = start.strftime("%Z")
    if zone_label.startswith(("+", "-")):
        zone_label = "UTC" + zone_label
    if start.date() == end.date():
        text = (
            f"{format_date(start, 'full', locale=locale)}, "
            f"{format_time(start, 'short', locale=locale)} – {format_time(end, 'short', locale=locale)}"
        )
    else:
        text = (
            f"{format_datetime(start, 'EEEE d MMMM y, HH:mm', locale=locale)} – "
            f"{format_datetime(end, 'EEEE d MMMM y, HH:mm', locale=locale)}"
        )
    return f"{text} {zone_label}"


def local_datetime_text(value: dt.datetime | None, tz: str, locale: str | None = None) -> str:
    """A UTC time as the event's wall-clock time in words ("12 Des 2026 09.00")."""
    local = timeutil.to_local(value, tz)
    if local is None:
        return ""
    return format_datetime(local, "medium", tzinfo=local.tzinfo, locale=locale or current_locale())
