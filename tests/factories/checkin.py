from __future__ import annotations

import itertools

from webapp.checkin.models import CheckinList
from webapp.events.models import Event

_seq = itertools.count(1)


def make_checkin_list(event: Event, **kwargs) -> CheckinList:
    """A single-entry list for every ticket type of `event` (override anything)."""
    values = {
        "organization": event.organization_id,
        "event": event,
        "name": f"Door {next(_seq)}",
    }
    values.update(kwargs)
    return CheckinList.create(**values)
