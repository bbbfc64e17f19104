"""Unsubscribing through a campaign message's own link or its List-Unsubscribe header (RFC 8058
one-click POST): the signed token names the message, so the contact is unsubscribed and the
campaign's report counts it; a campaign sent to a newsletter unsubscribes from that newsletter only.
No session and no CSRF token: the signature is the proof. The
mailto: form of the header reaches the bounce mailbox (bounce_server.py), which calls
`unsubscribe_message` for the message its address names."""

from __future__ import annotations

from webapp import signals
from webapp.campaigns import compose, tally
from webapp.campaigns.models import Campaign, CampaignRecipient
from webapp.contacts import newsletters
from webapp.contacts import service as contacts
from webapp.contacts.models import Contact
from webapp.contacts.newsletter_models import Newsletter
from webapp.db import db, utcnow
from webapp.mail.models import Outbox


def contact_for(token: str) -> tuple[Contact, Outbox] | None:
    outbox_id = compose.unsubscribe_target(token)
    return _message_contact(outbox_id) if outbox_id is not None else None


def _message_contact(outbox_id: int) -> tuple[Contact, Outbox] | None:
    row = Outbox.get_or_none(Outbox.id == outbox_id)
    if row is None or row.contact_id is None or row.organization_id is None:
        return None
    contact = Contact.get_or_none((Contact.id == row.contact_id) & (Contact.organization == row.organization_id))
    return (contact, row) if contact is not None else None


def unsubscribe(token: str, *, one_click: bool) -> Contact | None:
    """Unsubscribe the contact the message went to; None for a token that is not ours."""
    outbox_id = compose.unsubscribe_target(token)
    if outbox_id is None:
        return None
    return unsubscribe_message(outbox_id, via="one-click" if one_click else "link")


def unsubscribe_message(outbox_id: int, *, via: str) -> Contact | None:
    """Unsubscribe the contact a message (outbox row) went to, counted in its campaign's report;
    `via` says how (link, one-click, mailto). None when the message has no contact."""
    found = _message_contact(outbox_id)
    if found is None:
        return None
    contact, row = found
    newsletter = newsletter_of(row)
    with db.atomic():
        if newsletter is not None:
            subscription = newsletters.subscription_of(newsletter.id, contact.id)
            changed = subscription is not None and newsletters.unsubscribe(subscription)
        else:
            changed = contacts.unsubscribe(contact, via=via)
        for recipient in CampaignRecipient.select().where(
            (CampaignRecipient.outbox_id == row.id) & CampaignRecipient.unsubscribed_at.is_null()
        ):
            first = (
                CampaignRecipient.update(unsubscribed_at=utcnow())
                .where((CampaignRecipient.id == recipient.id) & CampaignRecipient.unsubscribed_at.is_null())
                .execute()
            )
            tally.add(recipient.campaign_id, recipient.organization_id, {tally.UNSUBSCRIBED: first})
        if changed:
            signals.emit(signals.mail_event, event="unsubscribed", outbox_ids=[row.id])
    if newsletter is None:
        contact.status = "unsubscribed"
    return contact


def newsletter_of(row: Outbox) -> Newsletter | None:
    """The newsletter a campaign message was sent to (None: a campaign to contacts)."""
    campaign = (
        Campaign.select(Campaign.audience)
        .join(CampaignRecipient, on=(CampaignRecipient.campaign == Campaign.id))
        .where((CampaignRecipient.outbox_id == row.id) & (Campaign.organization == row.organization_id))
        .first()
    )
    newsletter_id = (campaign.audience or {}).get("newsletter_id") if campaign is not None else None
    if not newsletter_id:
        return None
    return Newsletter.get_or_none((Newsletter.id == newsletter_id) & (Newsletter.organization == row.organization_id))
