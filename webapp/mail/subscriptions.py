"""The double opt-in email: the link a pending contact follows to confirm their subscription, to
the organization's announcements or to one newsletter (webapp/contacts/subscriptions.py and
webapp/contacts/newsletters.py hold the rules)."""

from __future__ import annotations

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from webapp.contacts import subscriptions
from webapp.contacts.models import Contact
from webapp.contacts.newsletter_models import Newsletter, NewsletterSubscription
from webapp.mail.models import Outbox
from webapp.mail.service import queue_email


def send_confirmation(contact_id: int, locale: str = "en", newsletter_id: int | None = None) -> Outbox | None:
    """Queue the confirmation email, while the contact (or its newsletter subscription) is still
    pending."""
    contact = Contact.get_or_none(Contact.id == contact_id)
    if contact is None:
        return None
    newsletter = None
    if newsletter_id is not None:
        newsletter = Newsletter.get_or_none(
            (Newsletter.id == newsletter_id) & (Newsletter.organization == contact.organization_id)
        )
        pending = NewsletterSubscription.select().where(
            (NewsletterSubscription.newsletter == newsletter_id)
            & (NewsletterSubscription.contact == contact.id)
            & (NewsletterSubscription.state == "pending")
        )
        if newsletter is None or not pending.exists():
            return None
    elif contact.status != "pending":
        return None
    org = contact.organization
    url = subscriptions.confirmation_url(contact, newsletter.id if newsletter else None)
    values = {"contact": contact, "org": org, "url": url, "newsletter": newsletter}
    with force_locale(locale):
        if newsletter is not None:
            subject = _("Confirm your subscription to %(newsletter)s", newsletter=newsletter.name)
        else:
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
        send_key=f"newsletter:{newsletter.id}" if newsletter else "subscription",
    )
