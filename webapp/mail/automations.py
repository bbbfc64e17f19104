"""Automations: an email per registrant, some time after a trigger (registered, paid, checked in)
or some time before the event starts. A periodic task sends what is due; the unique
(automation, registrant) run row makes each send happen once, whatever the retries or workers.

Automations are promotional: each email carries the contact's unsubscribe link, and a contact who
unsubscribed (or bounced) gets none — their email is kept in the outbox as skipped, with the
reason, and counted as skipped (webapp/mail/consent.py)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import peewee as pw

from webapp.accounts import audit
from webapp.contacts.rules import normalize_email
from webapp.db import db, utcnow
from webapp.events.models import Event
from webapp.i18n import StoredText, stored_text
from webapp.mail import consent
from webapp.mail.models import AUTOMATION_TRIGGERS, Automation, AutomationRun, EmailTemplate, Outbox
from webapp.mail.notify import send_to_registrant
from webapp.orders.contact_sync import sync_registrants
from webapp.orders.models import Order, Registrant

log = logging.getLogger("rollcall.mail")

# The moment each trigger names, as a word stored and shown in the reader's language.
TRIGGER_WORDS = {
    "registered": stored_text("after registering"),
    "paid": stored_text("after payment"),
    "checked_in": stored_text("after check-in"),
    "before_start": stored_text("before the event starts"),
}
BATCH = 500  # registrants per automation per run; the next minute takes the rest


class AutomationInvalid(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def automations_for(event) -> list[Automation]:
    return list(Automation.select().where(Automation.event == event).order_by(Automation.created_at))


def _check(name: str, trigger: str, delay_minutes: int) -> dict[str, str]:
    errors = {}
    if not name.strip():
        errors["name"] = "Give the automation a name."
    if trigger not in AUTOMATION_TRIGGERS:
        errors["trigger"] = "Choose a trigger."
    if not 0 <= delay_minutes <= 365 * 24 * 60:
        errors["delay"] = "The delay must be between 0 and 365 days."
    return errors


def create_automation(event, *, name: str, trigger: str, delay_minutes: int, actor) -> Automation:
    errors = _check(name, trigger, delay_minutes)
    if errors:
        raise AutomationInvalid(errors)
    with db.atomic():
        automation = Automation.create(
            organization=event.organization_id,
            event=event,
            name=name.strip(),
            trigger=trigger,
            delay_minutes=delay_minutes,
        )
        audit.record(
            event.organization_id,
            "mail.automation_create",
            user=actor,
            target=event,
            summary=stored_text(
                "Automation “%(automation)s” (%(rule)s)", automation=automation.name, rule=describe(automation)
            ),
        )
    return automation


def update_automation(
    automation: Automation, *, name: str, trigger: str, delay_minutes: int, active: bool, actor
) -> Automation:
    errors = _check(name, trigger, delay_minutes)
    if errors:
        raise AutomationInvalid(errors)
    with db.atomic():
        changes = audit.diff(
            automation, {"name": name.strip(), "trigger": trigger, "delay_minutes": delay_minutes, "active": active}
        )
        automation.save()
        audit.record(
            automation.organization_id,
            "mail.automation_update",
            user=actor,
            target=automation.event,
            summary=stored_text("Automation “%(automation)s”", automation=automation.name),
            changes=changes,
        )
    return automation


def delete_automation(automation: Automation, *, actor) -> None:
    with db.atomic():
        EmailTemplate.delete().where(
            (EmailTemplate.event == automation.event_id) & (EmailTemplate.slot == automation.slot)
        ).execute()
        audit.record(
            automation.organization_id,
            "mail.automation_delete",
            user=actor,
            target=automation.event,
            summary=stored_text("Deleted automation “%(automation)s”", automation=automation.name),
        )
        automation.delete_instance()


def describe(automation: Automation) -> StoredText:
    """ "2 days before the event starts", "at once after payment"... (str() gives the English;
    `render_stored` the reader's language)."""
    minutes, trigger = automation.delay_minutes, TRIGGER_WORDS[automation.trigger]
    if minutes == 0:
        if automation.trigger == "before_start":
            return stored_text("at the start of the event")
        return stored_text("at once %(trigger)s", trigger=trigger)
    if minutes % (24 * 60) == 0:
        n = minutes // (24 * 60)
        return (
            stored_text("1 day %(trigger)s", trigger=trigger)
            if n == 1
            else stored_text("%(n)s days %(trigger)s", n=n, trigger=trigger)
        )
    if minutes % 60 == 0:
        n = minutes // 60
        return (
            stored_text("1 hour %(trigger)s", trigger=trigger)
            if n == 1
            else stored_text("%(n)s hours %(trigger)s", n=n, trigger=trigger)
        )
    if minutes == 1:
        return stored_text("1 minute %(trigger)s", trigger=trigger)
    return stored_text("%(n)s minutes %(trigger)s", n=minutes, trigger=trigger)


def run_counts(automation: Automation) -> dict[str, int]:
    """{"sent": n, "skipped": m}: emails written for this automation, and those of them kept
    unsent because the contact unsubscribed."""
    runs = AutomationRun.select().where(AutomationRun.automation == automation)
    skipped = runs.join(Outbox, on=(AutomationRun.outbox_id == Outbox.id)).where(Outbox.state == "skipped").count()
    return {"sent": runs.count() - skipped, "skipped": skipped}


# ---------------------------------------------------------------------------------------------
# Sending


def due_registrants(automation: Automation, now: dt.datetime) -> list[Registrant]:
    """Registrants the automation has not been sent to and whose moment has come."""
    event = automation.event
    delay = dt.timedelta(minutes=automation.delay_minutes)
    admitted = (Order.status == "paid") & (Order.approval.in_(("none", "approved")))
    query = (
        Registrant.select(Registrant)
        .join(Order)
        .where((Registrant.event == event) & (Registrant.canceled == False))  # noqa: E712
        .where(
            ~pw.fn.EXISTS(
                AutomationRun.select(AutomationRun.id).where(
                    (AutomationRun.automation == automation) & (AutomationRun.registrant == Registrant.id)
                )
            )
        )
    )
    # Triggers count from the automation's creation: a new rule does not mail everyone's past.
    if automation.trigger == "before_start":
        if not (event.starts_at - delay <= now < event.ends_at):
            return []
        query = query.where(admitted)
    elif automation.trigger == "registered":
        query = query.where(
            Order.status.in_(("pending", "paid"))
            & (Registrant.created_at >= automation.created_at)
            & (Registrant.created_at <= now - delay)
        )
    elif automation.trigger == "paid":
        query = query.where(admitted & (Order.paid_at >= automation.created_at) & (Order.paid_at <= now - delay))
    elif automation.trigger == "checked_in":
        query = query.where(
            admitted
            & Registrant.checked_in_at.is_null(False)
            & (Registrant.checked_in_at >= automation.created_at)
            & (Registrant.checked_in_at <= now - delay)
        )
    return list(query.order_by(Registrant.id).limit(BATCH))


@dataclass
class RunSummary:
    """What a run did: emails sent (queued for delivery), and emails skipped because the contact
    unsubscribed or bounced (kept in the mail log as skipped)."""

    sent: int = 0
    skipped: int = 0

    def __add__(self, other: RunSummary) -> RunSummary:
        return RunSummary(self.sent + other.sent, self.skipped + other.skipped)

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "skipped": self.skipped}


def _recipients(automation: Automation, registrants: list[Registrant]) -> dict[str, consent.Recipient]:
    """Each due registrant's consent, in one query. Registrants whose contact sync has not run
    yet are synced first: the unsubscribe link belongs to the contact."""

    unsynced = [r.id for r in registrants if r.contact_id is None]
    if unsynced:
        sync_registrants(unsynced)
    return consent.recipients(automation.organization_id, [r.email for r in registrants])


def run_automation(automation: Automation, now: dt.datetime | None = None) -> RunSummary:
    """Send the automation to every registrant it is due for, except contacts who unsubscribed
    (their email is written as skipped). Each registrant is done once."""

    now = now or utcnow()
    summary = RunSummary()
    due = due_registrants(automation, now)
    if not due:
        return summary
    people = _recipients(automation, due)
    for registrant in due:
        address = normalize_email(registrant.email)
        recipient = people.get(address) or consent.Recipient(address, "no_contact", None)
        try:
            with db.atomic():
                run = AutomationRun.create(
                    organization=automation.organization_id, automation=automation, registrant=registrant
                )
                message = send_to_registrant(
                    registrant, automation.slot, kind="automation",
                    unsubscribe_url=recipient.unsubscribe_url, skip_reason=recipient.skip_reason,
                )  # fmt: skip
                run.outbox_id = message.id
                run.save()
        except pw.IntegrityError:
            continue  # another worker did this one
        if recipient.skip_reason:
            summary.skipped += 1
        else:
            summary.sent += 1
    if summary.sent or summary.skipped:
        log.info(
            "automation %s: sent to %d registrant(s), skipped %d (unsubscribed or bounced)",
            automation.id, summary.sent, summary.skipped,
        )  # fmt: skip
    return summary


def run_due(now: dt.datetime | None = None) -> RunSummary:
    """Every active automation of an event that is not over (with a day's grace)."""
    now = now or utcnow()
    automations = (
        Automation.select(Automation, Event)
        .join(Event)
        .where((Automation.active == True) & (Event.ends_at > now - dt.timedelta(days=1)))  # noqa: E712
        .order_by(Automation.id)
    )
    return sum((run_automation(automation, now) for automation in automations), RunSummary())
