"""Newsletters: subscription lists of an organization. A person joins one with double opt-in (the
subscription is pending until they confirm from the email sent to the address) and leaves it with
one click; a campaign sent to a newsletter reaches its confirmed subscribers only."""

from __future__ import annotations

import peewee as pw

from webapp.accounts.models import Organization
from webapp.contacts.models import Contact
from webapp.db import OrgScoped, utcnow

SUBSCRIPTION_STATES = ("pending", "confirmed", "unsubscribed")
SUBSCRIPTION_SOURCES = ("form", "registration", "api", "console")


class Newsletter(OrgScoped):
    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    name = pw.CharField(max_length=200)
    description = pw.TextField(default="")
    public_key = pw.CharField(max_length=32, unique=True)  # the public subscribe form's address
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)


class NewsletterSubscription(OrgScoped):
    """One contact on one newsletter: pending (asked, not confirmed) -> confirmed -> unsubscribed;
    asking again after unsubscribing starts over at pending."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    newsletter = pw.ForeignKeyField(Newsletter, backref="subscriptions", on_delete="CASCADE")
    contact = pw.ForeignKeyField(Contact, backref="+", on_delete="CASCADE")
    state = pw.CharField(max_length=16, default="pending", choices=[(s, s) for s in SUBSCRIPTION_STATES])
    source = pw.CharField(max_length=16, default="form")
    token = pw.CharField(max_length=64, unique=True)  # the one-click unsubscribe link's secret
    requested_at = pw.DateTimeField(default=utcnow)
    confirmed_at = pw.DateTimeField(null=True)
    unsubscribed_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "newsletter_subscription"
        indexes = (
            (("newsletter", "contact"), True),
            (("newsletter", "state", "contact"), False),
        )
