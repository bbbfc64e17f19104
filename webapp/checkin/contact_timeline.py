"""Check-ins on the Contact Book: an `ok` entry scan on the contact's timeline."""

from __future__ import annotations

from webapp.checkin.models import Checkin
from webapp.contacts import funnel
from webapp.contacts.service import add_label, record_activity
from webapp.db import db
from webapp.i18n import stored_text
from webapp.orders.contact_sync import contact_of
from webapp.orders.models import Registrant


def record_checkin(checkin_id: int) -> bool:
    """An `ok` entry scan: "checked_in" on the contact's timeline (once per scan), and the
    organization's automatic "attended" label (whose rule raises the stage, by default to at least
    Engaged). False when there was nothing to record."""
    checkin = Checkin.get_or_none(Checkin.id == checkin_id)
    if checkin is None or checkin.result != "ok" or checkin.kind != "entry" or checkin.registrant_id is None:
        return False
    registrant = Registrant.get_or_none(Registrant.id == checkin.registrant_id)
    contact = contact_of(registrant) if registrant else None
    if contact is None:
        return False
    event = registrant.event
    with db.atomic():
        activity = record_activity(
            contact,
            "checked_in",
            occurred_at=checkin.created_at,
            event=event.id,
            registrant_id=registrant.id,
            summary=stored_text("Checked in to %(event)s at gate %(gate)s", event=event.name, gate=checkin.gate)
            if checkin.gate
            else stored_text("Checked in to %(event)s", event=event.name),
            data={"gate": checkin.gate, "checkin_id": checkin.id},
            dedupe_key=f"checked_in:{checkin.id}",
        )
        label = funnel.auto_labels(contact.organization_id).get("attended")
        if activity is not None and label is not None:
            add_label(contact, label.name, raising=True)
    return activity is not None
