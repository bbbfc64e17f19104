"""Time: stored in UTC (naive datetimes), shown in the event's IANA timezone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"Unknown time zone {name!r}") from None


def to_local(value: dt.datetime | None, tz: str) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC).astimezone(zone(tz))


def to_utc(local: dt.datetime, tz: str) -> dt.datetime:
    """A wall-clock time in `tz` (naive) -> naive UTC."""
    return local.replace(tzinfo=zone(tz)).astimezone(dt.UTC).replace(tzinfo=None)


def timezone_choices() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
