"""Check-in work: the confirmation email after an entry scan, the entry on the contact's timeline."""

from __future__ import annotations

from tasks import huey  # noqa: F401  (the instance every task module shares)
from webapp import work
from webapp.checkin import contact_timeline, emails, receivers


@work.handles(receivers.SEND_CHECKIN_EMAIL)
def send_checkin_email(payload: dict) -> bool:
    return emails.checked_in(payload["checkin_id"])


@work.handles(receivers.RECORD_CHECKIN)
def record_checkin(payload: dict) -> bool:
    return contact_timeline.record_checkin(payload["checkin_id"])
