"""The double opt-in email: the link a pending contact follows to confirm their subscription
(webapp/contacts/subscriptions.py holds the rules)."""

from __future__ import annotations

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from webapp.contacts import subscriptions
from webapp.contacts.models import Contact
from webapp.mail.models import Outbox
from webapp.mail.service import queue_email


def send_confirmation(contact_id: int, locale: str = "en") -> Outbox | None:
    """Queue the confirmation email, while the contact is still pending."""
    contact = Contact.get_or_none(Contact.id == contact_id)
    if contact is None or contact.status != "pending":
        return None
    org = contact.organization
    values = {"contact": contact, "org": org, "url": subscriptions.confirmation_url(contact)}
    with force_locale(locale):
        subject = _("Confirm your subscription to %(org)s", org=org.name)
        text_body = render_template("email/contacts/confirm_subscription.txt", **values)
        body = render_template("email/contacts/confirm_subscription.html", **values)
        html_body = render_template(
            "email/mail/layout.html", body=body, subject=subject, org=org, lang=locale, unsubscribe=None
        )
    return queue_email(
        kind="subscription",
        to_email=contact.email,
        to_name=contact.name,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        organization=org,
        send_key="subscription",
    )
