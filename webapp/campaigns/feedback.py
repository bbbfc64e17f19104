"""What the receiving side says later about a message already handed over: a bounce report (DSN,
RFC 3464) or a complaint (ARF, RFC 5965), found by its Message-ID. For the bounce mailbox's
handler: it finds the message, then calls `bounced` or `complained`, which update the campaign's
recipient (its report), the contact (a hard bounce marks it bounced, a complaint makes it
complained: no more campaigns), its timeline and the campaign.* webhooks."""

from __future__ import annotations

from webapp import signals
from webapp.campaigns.models import CampaignRecipient
from webapp.contacts import service as contacts
from webapp.contacts.models import Contact
from webapp.db import db, utcnow
from webapp.mail.models import Outbox


def message(message_id: str) -> Outbox | None:
    """The outbox row of a Message-ID (with or without its angle brackets)."""
    value = (message_id or "").strip()
    if not value:
        return None
    if not value.startswith("<"):
        value = f"<{value}>"
    return Outbox.get_or_none(Outbox.message_id == value)


def _contact(row: Outbox) -> Contact | None:
    if row.contact_id is None or row.organization_id is None:
        return None
    return Contact.get_or_none((Contact.id == row.contact_id) & (Contact.organization == row.organization_id))


def bounced(row: Outbox, *, hard: bool, reason: str) -> None:
    """A bounce report for a message. Hard: the recipient bounced and the contact is marked
    bounced; soft: counted (the server will try again, or has given up on a later report)."""
    reason = reason[:2000]
    with db.atomic():
        recipient = CampaignRecipient.select().where(CampaignRecipient.outbox_id == row.id)
        if hard:
            CampaignRecipient.update(status="bounced", error=reason).where(
                CampaignRecipient.id.in_(recipient.select(CampaignRecipient.id))
            ).execute()
            Outbox.update(state="failed", last_error=reason).where(Outbox.id == row.id).execute()
            contact = _contact(row)
            if contact is not None:
                contacts.set_status(contact, "bounced", reason=reason[:200], kind="email_bounced")
        else:
            CampaignRecipient.update(soft_failures=CampaignRecipient.soft_failures + 1).where(
                CampaignRecipient.id.in_(recipient.select(CampaignRecipient.id))
            ).execute()
        if hard:
            signals.emit(signals.mail_event, event="bounced", outbox_ids=[row.id])


def complained(row: Outbox, *, reason: str = "") -> None:
    """The recipient reported the message as spam: they get no more campaigns."""
    with db.atomic():
        CampaignRecipient.update(complained_at=utcnow()).where(
            (CampaignRecipient.outbox_id == row.id) & CampaignRecipient.complained_at.is_null()
        ).execute()
        contact = _contact(row)
        if contact is not None:
            contacts.set_status(
                contact, "complained", reason=(reason or "a complaint about an email")[:200], kind="email_complained"
            )
        signals.emit(signals.mail_event, event="complained", outbox_ids=[row.id])
