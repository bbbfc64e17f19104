import datetime as dt

from tests.factories.accounts import make_org
from tests.factories.events import make_event
from webapp.events.service import can_cancel, registration_state

NOW = dt.datetime(2030, 1, 10, 12, 0)


def _event(**kw):
    kw.setdefault("starts_at", dt.datetime(2030, 2, 1, 2, 0))
    return make_event(make_org(), **kw)


def test_registration_state_follows_status_and_times(app):
    assert registration_state(_event(), NOW) == "open"
    assert registration_state(_event(status="draft"), NOW) == "draft"
    assert registration_state(_event(status="closed"), NOW) == "closed"
    assert registration_state(_event(registration_opens_at=NOW + dt.timedelta(hours=1)), NOW) == "not_open"
    assert registration_state(_event(registration_closes_at=NOW), NOW) == "closed"
    assert registration_state(_event(starts_at=NOW - dt.timedelta(days=1), ends_at=NOW), NOW) == "ended"


def test_attendees_cancel_only_before_the_deadline(app):
    assert not can_cancel(_event(), NOW)  # no deadline: no self-service cancellation
    assert can_cancel(_event(cancel_allowed_until=NOW + dt.timedelta(minutes=1)), NOW)
    assert not can_cancel(_event(cancel_allowed_until=NOW), NOW)
