"""Check-in work: the confirmation email after an entry scan."""

from __future__ import annotations

from tasks import huey  # noqa: F401  (the instance every task module shares)
from webapp import work
from webapp.checkin import emails, receivers


@work.handles(receivers.SEND_CHECKIN_EMAIL)
def send_checkin_email(payload: dict) -> bool:
    return emails.checked_in(payload["checkin_id"])
