"""What follows an `ok` entry scan: the check-in confirmation email and the entry on the contact's
timeline (recorded as work; connected by the task layer)."""

from __future__ import annotations

from webapp import signals, work

SEND_CHECKIN_EMAIL = "checkin.send_checkin_email"  # {"checkin_id"}


@signals.checked_in.connect
def _checked_in(sender, checkin_id: int, **kwargs) -> None:
    work.record(SEND_CHECKIN_EMAIL, {"checkin_id": checkin_id})


RECORD_CHECKIN = "checkin.record_on_contact"  # {"checkin_id"}: the contact's timeline


@signals.checked_in.connect
def _record_on_contact(sender, checkin_id: int, **kwargs) -> None:
    work.record(RECORD_CHECKIN, {"checkin_id": checkin_id})
