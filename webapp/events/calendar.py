"""Add-to-calendar: an .ics file (with the event's VTIMEZONE) and a Google Calendar link."""

from __future__ import annotations

import datetime as dt
import functools
from urllib.parse import urlencode, urlsplit

import icalendar

from webapp import timeutil
from webapp.db import utcnow
from webapp.events.models import Event
from webapp.events.text import localized, plain_text


@functools.lru_cache(maxsize=64)
def _vtimezone_ical(tz: str, first_year: int, last_year: int) -> bytes:
    # icalendar finds the zone's transitions hour by hour: only the event's years, computed once.
    component = icalendar.Timezone.from_tzinfo(
        timeutil.zone(tz), tz, dt.date(first_year, 1, 1), dt.date(last_year + 1, 1, 1)
    )
    return component.to_ical()


def _vtimezone(tz: str, first_year: int, last_year: int) -> icalendar.Timezone:
    return icalendar.Timezone.from_ical(_vtimezone_ical(tz, first_year, last_year))


def location_text(event: Event) -> str:
    parts = [event.venue_name, " ".join((event.venue_address or "").split())]
    text = ", ".join(p for p in parts if p)
    return text or event.online_url or ""


def ics(event: Event, url: str, locale: str | None = None) -> bytes:
    """An iCalendar file with one VEVENT, times in the event's zone (METHOD:PUBLISH)."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Rollcall//Event registration//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    entry = icalendar.Event()
    entry.add("uid", f"event-{event.id}@{urlsplit(url).hostname or 'rollcall'}")
    entry.add("dtstamp", utcnow().replace(tzinfo=timeutil.zone("UTC")))
    entry.add("dtstart", timeutil.to_local(event.starts_at, event.timezone))
    entry.add("dtend", timeutil.to_local(event.ends_at, event.timezone))
    entry.add("summary", localized(event, "name", locale))
    description = plain_text(localized(event, "description_md", locale), 2000) or localized(event, "summary", locale)
    entry.add("description", f"{description}\n\n{url}".strip())
    if location_text(event):
        entry.add("location", location_text(event))
    entry.add("url", url)
    entry.add("status", "CANCELLED" if event.status == "archived" else "CONFIRMED")
    entry.add("last-modified", event.updated_at.replace(tzinfo=timeutil.zone("UTC")))
    cal.add_component(entry)
    cal.subcomponents.insert(0, _vtimezone(event.timezone, event.starts_at.year, event.ends_at.year))
    return cal.to_ical()


def google_calendar_url(event: Event, url: str, locale: str | None = None) -> str:
    def stamp(value):
        return value.strftime("%Y%m%dT%H%M%SZ")

    params = {
        "action": "TEMPLATE",
        "text": localized(event, "name", locale),
        "dates": f"{stamp(event.starts_at)}/{stamp(event.ends_at)}",
        "details": f"{localized(event, 'summary', locale)}\n\n{url}".strip(),
        "location": location_text(event),
        "ctz": event.timezone,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(params)
