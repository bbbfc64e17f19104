"""The check-in confirmation email: sent after a first entry scan, when the event sends one."""

from __future__ import annotations

from webapp.checkin.models import Checkin
from webapp.mail import content
from webapp.mail.models import Outbox
from webapp.mail.notify import send_to_registrant


def checked_in(checkin_id: int) -> bool:
    """The check-in confirmation, when the event sends one (first entry only)."""
    checkin = Checkin.get_or_none(Checkin.id == checkin_id)
    if checkin is None or checkin.registrant_id is None or checkin.result != "ok" or checkin.kind != "entry":
        return False
    if not content.mail_settings(checkin.event).send_checkin_email:
        return False
    registrant = checkin.registrant
    if Outbox.select().where((Outbox.registrant_id == registrant.id) & (Outbox.kind == "checkin")).exists():
        return False  # re-entries do not send it again
    send_to_registrant(registrant, "checkin", kind="checkin", checkin=checkin)
    return True
