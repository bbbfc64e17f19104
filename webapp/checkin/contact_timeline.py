"""Check-ins on the Contact Book: an `ok` entry scan on the contact's timeline."""

from __future__ import annotations

from webapp.checkin.models import Checkin
from webapp.contacts import rules
from webapp.contacts.service import record_activity, set_stage
from webapp.db import db
from webapp.orders.contact_sync import contact_of
from webapp.orders.models import Registrant


def record_checkin(checkin_id: int) -> bool:
    """An `ok` entry scan: "checked_in" on the contact's timeline (once per scan), and attending
    raises the contact to at least "engaged". False when there was nothing to record."""
    checkin = Checkin.get_or_none(Checkin.id == checkin_id)
    if checkin is None or checkin.result != "ok" or checkin.kind != "entry" or checkin.registrant_id is None:
        return False
    registrant = Registrant.get_or_none(Registrant.id == checkin.registrant_id)
    contact = contact_of(registrant) if registrant else None
    if contact is None:
        return False
    event = registrant.event
    gate = f" at gate {checkin.gate}" if checkin.gate else ""
    with db.atomic():
        activity = record_activity(
            contact,
            "checked_in",
            occurred_at=checkin.created_at,
            event=event.id,
            registrant_id=registrant.id,
            summary=f"Checked in to {event.name}{gate}",
            data={"gate": checkin.gate, "checkin_id": checkin.id},
            dedupe_key=f"checked_in:{checkin.id}",
        )
        if activity is not None and rules.raised_stage(contact.stage, "engaged"):
            set_stage(contact, "engaged", source="rule:attended")
    return activity is not None
