"""Who may get promotional email: a contact who unsubscribed (or whose address bounced) gets
transactional mail only — tickets, order confirmations, check-in receipts, approvals, waiting-list
offers — never automations (follow-ups, reminders) or announcements.

A promotional email carries its recipient's unsubscribe link (in the body and as List-Unsubscribe
with one-click unsubscribe, RFC 8058). One that must not go out is still written to the outbox, as
"skipped" with the reason, so the mail log shows it instead of silently dropping it; delivery checks
again, for a contact who unsubscribed while the email waited.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from webapp.contacts.models import Contact
from webapp.contacts.rules import normalize_email
from webapp.contacts.service import unsubscribe_url

PROMOTIONAL_KINDS = frozenset({"automation", "workflow"})

REASONS = {
    "unsubscribed": "Not sent: the contact unsubscribed (they get tickets and order emails only).",
    "bounced": "Not sent: the contact's address bounced (they get tickets and order emails only).",
    "complained": "Not sent: the contact marked our mail as spam (they get tickets and order emails only).",
    "pending": "Not sent: the contact has not confirmed their subscription yet.",
    "no_contact": "Not sent: the address has no contact, so the email could not carry an unsubscribe link.",
}


def is_promotional(kind: str) -> bool:
    return kind in PROMOTIONAL_KINDS


@dataclass(frozen=True)
class Recipient:
    """What the contact book says about one address of an organization."""

    email: str
    status: str  # a contact status (active, pending, unsubscribed, ...), or "no_contact"
    unsubscribe_url: str | None

    @property
    def skip_reason(self) -> str | None:
        """Why a promotional email to this address must not be sent (None: send it)."""
        return None if self.status == "active" else REASONS.get(self.status, REASONS["unsubscribed"])


def recipients(org_id: int, emails: Iterable[str]) -> dict[str, Recipient]:
    """Recipient per normalized address, in one query."""

    wanted = sorted({address for address in map(normalize_email, emails) if address})
    found: dict[str, Recipient] = {}
    if wanted:
        query = Contact.select(Contact.email, Contact.status, Contact.unsubscribe_token).where(
            (Contact.organization == org_id) & Contact.email.in_(wanted)
        )
        found = {c.email: Recipient(c.email, c.status, unsubscribe_url(c)) for c in query}
    return {email: found.get(email) or Recipient(email, "no_contact", None) for email in wanted}


def recipient(org_id: int, email: str) -> Recipient:

    address = normalize_email(email)
    return recipients(org_id, [email]).get(address) or Recipient(address or email, "no_contact", None)
