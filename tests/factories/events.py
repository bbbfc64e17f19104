from __future__ import annotations

import datetime as dt
import itertools

from webapp import signals
from webapp.accounts.models import Organization
from webapp.db import db, utcnow
from webapp.events.models import Event

_seq = itertools.count(1)


def make_event(org: Organization, **kwargs) -> Event:
    """A published event three weeks ahead (override anything, e.g. status="draft"), with what
    every event has from the start (its default participant group), as `events.service.create_event`
    makes it."""
    n = next(_seq)
    starts_at = kwargs.pop("starts_at", utcnow().replace(second=0) + dt.timedelta(days=21))
    values = {
        "organization": org,
        "slug": f"event-{n}",
        "name": f"Event {n}",
        "summary": "A day of talks and workshops.",
        "timezone": org.timezone or "UTC",
        "currency": org.currency or "IDR",
        "starts_at": starts_at,
        "ends_at": kwargs.pop("ends_at", starts_at + dt.timedelta(hours=8)),
        "status": "published",
        "venue_name": "Main Hall",
    }
    values.update(kwargs)
    with db.atomic():
        event = Event.create(**values)
        signals.event_created.send(event)
    return event
