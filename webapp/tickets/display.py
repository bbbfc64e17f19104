"""Event facts as an attendee reads them: in their language and the event's timezone.

Shared by the ticket PDF and the email placeholders, so both say the same thing the same way.
"""

from __future__ import annotations

import datetime as dt

from babel.dates import format_date, format_datetime, format_time, get_timezone_name

from webapp import money
from webapp.timeutil import zone

LANGUAGES = ("en", "id")


def language(locale: str | None) -> str:
    """An order's locale -> one of the languages we write tickets and emails in."""
    base = (locale or "en").replace("-", "_").split("_")[0].lower()
    return base if base in LANGUAGES else "en"


def translated(obj, field: str, lang: str) -> str:
    """An operator text in `lang` when the operator wrote one (events and products keep
    {"id": {"name": ...}} in `translations`), else the default text."""
    texts = (getattr(obj, "translations", None) or {}).get(lang) or {}
    return texts.get(field) or getattr(obj, field)


def when(event, lang: str) -> dict[str, str]:
    """Date and time strings of an event, in its timezone."""
    tz = zone(event.timezone)
    starts = event.starts_at.replace(tzinfo=dt.UTC)
    ends = event.ends_at.replace(tzinfo=dt.UTC)
    same_day = starts.astimezone(tz).date() == ends.astimezone(tz).date()
    date = format_date(starts.astimezone(tz), "full", locale=lang)
    start_time = format_time(starts, "short", tzinfo=tz, locale=lang)
    end_time = format_time(ends, "short", tzinfo=tz, locale=lang)
    tz_name = format_datetime(starts, "zzz", tzinfo=tz, locale=lang)
    if same_day:
        span = f"{date}, {start_time}–{end_time} {tz_name}"
    else:
        end_date = format_date(ends.astimezone(tz), "full", locale=lang)
        span = f"{date}, {start_time} – {end_date}, {end_time} {tz_name}"
    return {
        "date": date,
        "time": f"{start_time}–{end_time}" if same_day else start_time,
        "starts": f"{date}, {start_time} {tz_name}",
        "span": span,
        "timezone": f"{event.timezone} ({get_timezone_name(tz, 'short', locale=lang)})",
    }


def moment(value: dt.datetime | None, tz_name: str, lang: str) -> str:
    """A stored UTC moment shown in a timezone, e.g. the time of a check-in."""
    if value is None:
        return ""
    return format_datetime(value.replace(tzinfo=dt.UTC), "medium", tzinfo=zone(tz_name), locale=lang)


def price(amount: int, currency: str, lang: str) -> str:
    return money.format_money(amount, currency, lang)
