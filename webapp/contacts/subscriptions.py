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
from webapp.runtime import settings

SEND_CONFIRMATION = "contacts.send_confirmation"  # work: {"contact_id", "locale"} -> the email (webapp/mail)


def _serializer() -> URLSafeSerializer:
    return tokens.serializer(settings().secret_key, "contact.confirm")


def request(contact: Contact, *, new: bool = False, locale: str = "en", actor_label: str | None = None) -> bool:
    """The person asked to subscribe. A contact that existed and is active stays so; a `new` one, or
    one not active, becomes pending and is sent the confirmation email. True when the email is on
    its way."""
    if contact.status == "active" and not new:
        return False
    with db.atomic():
        set_status(contact, "pending", actor_label=actor_label, reason="subscription to confirm by email")
        work.record(SEND_CONFIRMATION, {"contact_id": contact.id, "locale": locale if locale in LANGUAGES else "en"})
    return True


def confirmation_url(contact: Contact) -> str:
    return f"{settings().base_url}/s/{_serializer().dumps([contact.id, contact.email])}"


def contact_for(token: str) -> Contact | None:
    """The contact a confirmation token was made for, while its address is still the same."""
    try:
        contact_id, email = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(contact_id, int):
        return None
    return Contact.get_or_none((Contact.id == contact_id) & (Contact.email == email))


def confirm(contact: Contact) -> bool:
    """pending -> active, by the person. False when there was nothing to confirm."""
    if contact.status != "pending":
        return False
    return set_status(contact, "active", reason="subscription confirmed by the person", kind="subscribed")
