"""What the operator sees before sending: a campaign rendered for a sample contact (the live
preview, at desktop and phone width), and test messages to a few addresses."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from webapp.accounts import audit
from webapp.accounts.models import Organization, User
from webapp.campaigns import compose
from webapp.campaigns.models import Campaign
from webapp.contacts.models import Contact
from webapp.contacts.rules import normalize_email
from webapp.db import db
from webapp.email_address import is_valid_email
from webapp.i18n import _, stored_text
from webapp.mail.service import queue_email

MAX_TEST_ADDRESSES = 5
TEST_KIND = "campaign_test"


@dataclass
class Preview:
    subject: str = ""
    html: str = ""
    text: str = ""
    errors: dict[str, str] = field(default_factory=dict)  # field -> why its template cannot be used


def sample_contact() -> Contact:
    return Contact(name="Ana Putri", email="ana@example.org", company="Example Co")


def _sender(campaign: Campaign, org: Organization) -> compose.Sender:
    # No DKIM and no tracking: a preview or a test is not one of the campaign's messages.
    sender = compose.Sender.for_campaign(campaign)
    return dataclasses.replace(sender, org=org, signer=None, track_opens=False, track_clicks=False)


def preview(org: Organization, campaign: Campaign, contact: Contact | None = None) -> Preview:
    """The campaign (saved or as being edited) as `contact` (a sample one by default) gets it."""
    errors = compose.check(campaign, org)
    if errors:
        return Preview(errors=errors)
    contact = contact or sample_contact()
    sender = _sender(campaign, org)
    html, text = sender.render(contact, 0)
    return Preview(subject=sender.subject(contact), html=html, text=text)


class TestSendError(ValueError):
    pass


_SPLIT = re.compile(r"[\s,;]+")


def parse_addresses(raw: str) -> list[str]:
    """Up to MAX_TEST_ADDRESSES valid addresses, or TestSendError saying what is wrong."""
    addresses = list(dict.fromkeys(a for a in _SPLIT.split(raw or "") if a))
    if not addresses:
        raise TestSendError(_("Give at least one address."))
    if len(addresses) > MAX_TEST_ADDRESSES:
        raise TestSendError(_("At most %(n)d addresses.", n=MAX_TEST_ADDRESSES))
    bad = [a for a in addresses if not is_valid_email(a)]
    if bad:
        raise TestSendError(_("Not an email address: %(address)s", address=bad[0][:100]))
    return addresses


def send_test(campaign: Campaign, raw_addresses: str, *, actor: User | None = None) -> list[str]:
    """Queue the saved campaign to a few addresses, "[Test]" in the subject: as the contact with
    that address gets it, or as a sample contact. Not counted in the campaign's figures."""
    addresses = parse_addresses(raw_addresses)
    org = campaign.organization
    problems = compose.check(campaign, org)
    if problems:
        raise TestSendError(_("Fix the campaign first: %(problem)s", problem=next(iter(problems.values()))))
    sender = _sender(campaign, org)
    known = {
        c.email: c
        for c in Contact.select().where(
            (Contact.organization == org.id) & Contact.email.in_([normalize_email(a) for a in addresses])
        )
    }
    with db.atomic():
        for address in addresses:
            contact = known.get(normalize_email(address)) or Contact(name="", email=address)
            html, text = sender.render(contact, 0)
            queue_email(
                kind=TEST_KIND,
                to_email=address,
                subject=f"[Test] {sender.subject(contact)}",
                text_body=text,
                html_body=html,
                organization=org,
                from_email=campaign.from_email or None,
                from_name=campaign.from_name or None,
                reply_to=campaign.reply_to or None,
            )
        audit.record(
            org.id,
            "campaign.test",
            user=actor,
            target=campaign,
            summary=stored_text(
                "Sent a test of “%(campaign)s” to %(addresses)s", campaign=campaign.name, addresses=", ".join(addresses)
            ),
        )
    return addresses
