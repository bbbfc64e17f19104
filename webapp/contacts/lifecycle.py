"""The contact lifecycle the Contact Book runs itself: its settings and the inactivity rule that
moves quiet contacts to "lost" (check-ins and ended orders reach the timeline from the domains that
know them: webapp/checkin/contact_timeline.py, webapp/orders/contact_sync.py)."""

from __future__ import annotations

import datetime as dt

from webapp.accounts import audit
from webapp.contacts import batch as contact_batch
from webapp.contacts.models import Contact, ContactSettings
from webapp.contacts.service import ContactError
from webapp.db import db, utcnow, write_transaction
from webapp.i18n import stored_text

MAX_INACTIVITY_DAYS = 3650


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
                summary=stored_text("Inactivity → lost after %(days)s days", days=days)
                if days
                else stored_text("Inactivity rule off"),
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
                    .limit(contact_batch.CHUNK)
                )
                if not contacts:
                    break
                batch = contact_batch.new_batch(row.organization_id, contacts)
                for contact in contacts:
                    contact_batch.move_stage(batch, contact, "lost", "rule:inactivity")
                contact_batch.finish(batch)
            after = contacts[-1].id
            moved += len(contacts)
    return moved
