"""How what happens elsewhere lands on contacts: check-ins, canceled orders, and the inactivity
rule that moves quiet contacts to "lost". Called by the tasks of tasks/contacts.py."""

from __future__ import annotations

import datetime as dt

from webapp.accounts import audit
from webapp.contacts import rules, sync
from webapp.contacts.models import Contact, ContactSettings
from webapp.contacts.service import ContactError, record_activity, set_stage
from webapp.db import db, utcnow, write_transaction
from webapp.orders.models import Order, Registrant

ORDER_END_KINDS = {"canceled": "order_canceled", "expired": "order_expired", "refunded": "order_refunded"}
MAX_INACTIVITY_DAYS = 3650


def _contact_of(registrant: Registrant) -> Contact | None:
    if registrant.contact_id is None:
        return sync.sync_registrant(registrant.id)
    return Contact.get_or_none(Contact.id == registrant.contact_id)


def record_checkin(checkin_id: int) -> bool:
    """An `ok` entry scan: "checked_in" on the contact's timeline (once per scan), and attending
    raises the contact to at least "engaged". False when there was nothing to record."""
    from webapp.checkin.models import Checkin

    checkin = Checkin.get_or_none(Checkin.id == checkin_id)
    if checkin is None or checkin.result != "ok" or checkin.kind != "entry" or checkin.registrant_id is None:
        return False
    registrant = Registrant.get_or_none(Registrant.id == checkin.registrant_id)
    contact = _contact_of(registrant) if registrant else None
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


def record_order_end(order_id: int) -> int:
    """A canceled, expired, declined or refunded order on the timeline of each of its people."""
    order = Order.get_or_none(Order.id == order_id)
    if order is None:
        return 0
    if order.approval == "declined":
        kind, when = "order_declined", order.canceled_at or order.updated_at
    else:
        kind = ORDER_END_KINDS.get(order.status)
        when = order.refunded_at if order.status == "refunded" else order.canceled_at
    if kind is None:
        return 0  # the order is live again (e.g. an expired order paid late): nothing ended
    registrants = list(Registrant.select().where(Registrant.order == order.id))
    unsynced = [r.id for r in registrants if r.contact_id is None]
    if unsynced:
        sync.sync_registrants(unsynced)
        registrants = list(Registrant.select().where(Registrant.order == order.id))
    recorded = 0
    seen: set[int] = set()
    words = kind.removeprefix("order_")
    for registrant in registrants:
        if registrant.contact_id is None or registrant.contact_id in seen:
            continue
        seen.add(registrant.contact_id)
        contact = Contact.get_by_id(registrant.contact_id)
        activity = record_activity(
            contact,
            kind,
            occurred_at=when or utcnow(),
            event=order.event_id,
            registrant_id=registrant.id,
            summary=f"Order {order.code} {words} ({order.event.name})",
            data={"order": order.code, "status": order.status},
            dedupe_key=f"{kind}:{order.id}:{contact.id}",
        )
        recorded += activity is not None
    return recorded


# Inactivity -> lost -----------------------------------------------------------------------------


def contact_settings(org_id: int) -> ContactSettings:
    """The organization's settings (an unsaved default row when never saved)."""
    return ContactSettings.get_or_none(ContactSettings.organization == org_id) or ContactSettings(organization=org_id)


def set_inactivity_days(org_id: int, days: int | None, *, actor=None) -> ContactSettings:
    """Contacts with no activity for `days` move to "lost" (None turns the rule off)."""
    if days is not None and not 1 <= days <= MAX_INACTIVITY_DAYS:
        raise ContactError(f"Choose between 1 and {MAX_INACTIVITY_DAYS} days, or leave it empty.", "inactivity_days")
    with db.atomic():
        current = contact_settings(org_id)
        old = current.inactivity_days
        current.inactivity_days, current.updated_at = days, utcnow()
        current.save()
        if old != days and actor is not None:
            audit.record(
                org_id,
                "contacts.inactivity_rule",
                user=actor,
                target=current,
                summary=f"Inactivity → lost after {days} days" if days else "Inactivity rule off",
                changes={"inactivity_days": [old, days]},
            )
    return current


def mark_inactive_lost(now: dt.datetime | None = None) -> int:
    """For each organization with an inactivity period: move contacts without activity for that
    long to "lost" (their timeline says why). Returns how many moved."""
    now = now or utcnow()
    moved = 0
    for row in ContactSettings.select().where(ContactSettings.inactivity_days.is_null(False)):
        cutoff = now - dt.timedelta(days=row.inactivity_days)
        quiet = (Contact.last_activity_at < cutoff) | (
            Contact.last_activity_at.is_null() & (Contact.created_at < cutoff)
        )
        after = 0
        while True:
            with write_transaction():
                contacts = list(
                    Contact.select()
                    .where((Contact.organization == row.organization_id) & (Contact.stage != "lost") & quiet)
                    .where(Contact.id > after)
                    .order_by(Contact.id)
                    .limit(sync.CHUNK)
                )
                if not contacts:
                    break
                batch = sync.new_batch(row.organization_id, contacts)
                for contact in contacts:
                    sync.move_stage(batch, contact, "lost", "rule:inactivity")
                sync.finish(batch)
            after = contacts[-1].id
            moved += len(contacts)
    return moved
