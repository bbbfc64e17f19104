"""Double opt-in: a subscription that comes from outside (the API, on behalf of a signup form) is
"pending" until the person confirms it from the email sent to the address. A pending contact gets
transactional mail only (webapp/mail/consent.py), never announcements.

The confirmation link carries a signed token (the contact and its address), so it cannot be made
up, and it stops working when the contact's address changes. The page behind it asks for a click
(mail scanners follow links) before the subscription is confirmed."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

from webapp import tokens, work
from webapp.contacts.models import Contact
from webapp.contacts.service import set_status
from webapp.db import db
from webapp.extensions import LANGUAGES
from webapp.i18n import stored_text
from webapp.runtime import settings

# work: {"contact_id", "locale", "newsletter_id" (optional)} -> the email (webapp/mail)
SEND_CONFIRMATION = "contacts.send_confirmation"


def _serializer() -> URLSafeSerializer:
    return tokens.serializer(settings().secret_key, "contact.confirm")


def request(contact: Contact, *, new: bool = False, locale: str = "en", actor_label: str | None = None) -> bool:
    """The person asked to subscribe. A contact that existed and is active stays so; a `new` one, or
    one not active, becomes pending and is sent the confirmation email. True when the email is on
    its way."""
    if contact.status == "active" and not new:
        return False
    with db.atomic():
        set_status(contact, "pending", actor_label=actor_label, reason=stored_text("subscription to confirm by email"))
        ask_to_confirm(contact, locale=locale)
    return True


def ask_to_confirm(contact: Contact, *, locale: str = "en", newsletter_id: int | None = None) -> None:
    """The confirmation email goes out after the commit: for the contact's subscription, or for
    one newsletter (webapp/contacts/newsletters.py)."""
    payload = {"contact_id": contact.id, "locale": locale if locale in LANGUAGES else "en"}
    if newsletter_id is not None:
        payload["newsletter_id"] = newsletter_id
    work.record(SEND_CONFIRMATION, payload)


def confirmation_url(contact: Contact, newsletter_id: int | None = None) -> str:
    values = [contact.id, contact.email] + ([newsletter_id] if newsletter_id is not None else [])
    return f"{settings().base_url}/s/{_serializer().dumps(values)}"


def confirmation_for(token: str) -> tuple[Contact, int | None] | None:
    """The contact a confirmation token was made for (while its address is still the same) and
    the newsletter it confirms (None: the contact's own subscription)."""
    try:
        values = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(values, list) or len(values) not in (2, 3):
        return None
    contact_id, email, newsletter_id = (*values, None)[:3]
    if not isinstance(contact_id, int) or not isinstance(email, str):
        return None
    if newsletter_id is not None and not isinstance(newsletter_id, int):
        return None
    contact = Contact.get_or_none((Contact.id == contact_id) & (Contact.email == email))
    return (contact, newsletter_id) if contact is not None else None


def contact_for(token: str) -> Contact | None:
    """The contact a confirmation token was made for, while its address is still the same."""
    found = confirmation_for(token)
    return found[0] if found else None


def confirm(contact: Contact) -> bool:
    """pending -> active, by the person. False when there was nothing to confirm."""
    if contact.status != "pending":
        return False
    return set_status(contact, "active", reason=stored_text("subscription confirmed by the person"), kind="subscribed")
