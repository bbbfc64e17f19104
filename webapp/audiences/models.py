"""Audiences: opt-in groups of browsers that allowed our notifications, for one event or for the
whole organization; their push subscriptions, the organization's VAPID keys, and the pushes sent."""

from __future__ import annotations

import peewee as pw

from webapp.accounts.models import Organization, User
from webapp.contacts.models import Contact
from webapp.db import OrgScoped, utcnow
from webapp.events.models import Event

MESSAGE_STATES = ("scheduled", "sending", "sent", "canceled")


class PushKeys(OrgScoped):
    """The organization's VAPID key pair (RFC 8292): the public key is the applicationServerKey
    browsers subscribe with; the private key (Fernet token of its PEM) signs every push."""

    organization = pw.ForeignKeyField(Organization, unique=True, on_delete="CASCADE")
    public_key = pw.CharField(max_length=100)  # base64url, uncompressed P-256 point
    private_key = pw.TextField()
    created_at = pw.DateTimeField(default=utcnow)


class Audience(OrgScoped):
    """Everyone who asked to hear about one event (`event` set) or about the organization."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, null=True, on_delete="CASCADE")
    scope = pw.CharField(max_length=32)  # "organization" or "event:<id>": unique per organization
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("organization", "scope"), True),)


class PushSubscription(OrgScoped):
    """One browser's subscription (endpoint and keys, as the Push API gave them) in one audience."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    audience = pw.ForeignKeyField(Audience, backref="subscriptions", on_delete="CASCADE")
    endpoint = pw.TextField()
    endpoint_hash = pw.CharField(max_length=64)
    p256dh = pw.CharField(max_length=128)
    auth = pw.CharField(max_length=64)
    contact = pw.ForeignKeyField(Contact, null=True, on_delete="SET NULL")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("audience", "endpoint_hash"), True), (("endpoint_hash",), False))


class PushMessage(OrgScoped):
    """A push an operator sent (or scheduled) to an audience, with what became of it."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    audience = pw.ForeignKeyField(Audience, backref="messages", on_delete="CASCADE")
    title = pw.CharField(max_length=120)
    body = pw.CharField(max_length=400)
    url = pw.CharField(max_length=1000, default="")
    send_at = pw.DateTimeField(default=utcnow)
    state = pw.CharField(max_length=16, default="scheduled", choices=[(s, s) for s in MESSAGE_STATES])
    delivered = pw.IntegerField(default=0)
    removed = pw.IntegerField(default=0)  # subscriptions the push service said are gone (404/410)
    failed = pw.IntegerField(default=0)
    checkpoint = pw.IntegerField(default=0)  # the last subscription id sent to
    created_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = pw.DateTimeField(default=utcnow)
    finished_at = pw.DateTimeField(null=True)
