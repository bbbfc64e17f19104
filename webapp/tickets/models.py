"""Ticket settings per event and the ticket PDFs we keep."""

from __future__ import annotations

import peewee as pw

from webapp.accounts.models import Organization
from webapp.db import JSONField, OrgScoped, utcnow
from webapp.events.models import Event
from webapp.orders.models import Order, Registrant

PAGE_SIZES = ("A6", "A4")


class TicketSettings(OrgScoped):
    """How an event's tickets look; an event without a row uses the defaults."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, unique=True, on_delete="CASCADE")
    page_size = pw.CharField(max_length=4, default="A6", choices=[(s, s) for s in PAGE_SIZES])
    show_price = pw.BooleanField(default=False)
    note = pw.TextField(default="")  # printed under the details, e.g. "Bring an ID card"
    updated_at = pw.DateTimeField(default=utcnow)


class TicketDocument(OrgScoped):
    """A generated PDF: every admitted ticket of an order, or one registrant's ticket.

    `fingerprint` digests everything the PDF shows; when it no longer matches, the file is stale
    and is generated again (attendee renamed, event moved, branding changed...)."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    order = pw.ForeignKeyField(Order, backref="ticket_documents", on_delete="CASCADE")
    registrant = pw.ForeignKeyField(Registrant, null=True, backref="ticket_documents", on_delete="CASCADE")
    key = pw.CharField(max_length=40, unique=True)  # "order:<id>" or "registrant:<id>"
    path = pw.CharField(max_length=255)  # relative to instance/
    fingerprint = pw.CharField(max_length=64)
    pages = pw.IntegerField(default=0)
    size = pw.IntegerField(default=0)
    generated_at = pw.DateTimeField(default=utcnow)


BADGE_SIZES = {"90x55": (90, 55), "a6": (105, 148)}  # millimetres, width x height
BADGE_FIELDS = ("name", "company", "product", "event", "order_code")


class BadgeSettings(OrgScoped):
    """How an event's name badges look. Fields are BADGE_FIELDS or "question:<id>"."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, unique=True, on_delete="CASCADE")
    size = pw.CharField(max_length=8, default="90x55")
    fields = JSONField(default=lambda: ["name", "company", "product"])
    show_logo = pw.BooleanField(default=True)
    show_qr = pw.BooleanField(default=False)
    accent_color = pw.CharField(max_length=7, default="#1d4ed8")
    logo_path = pw.CharField(max_length=255, null=True)  # under instance/uploads; else the org's logo
    updated_at = pw.DateTimeField(default=utcnow)


class WalletSettings(OrgScoped):
    """An organization's wallet set-up: the Apple pass certificate (its private key encrypted at
    rest) with Apple's WWDR intermediate, and the Google Wallet service account (encrypted)."""

    organization = pw.ForeignKeyField(Organization, unique=True, on_delete="CASCADE")
    apple_pass_type_id = pw.CharField(max_length=255, default="")  # pass.com.example.tickets
    apple_team_id = pw.CharField(max_length=32, default="")
    apple_certificate = pw.TextField(default="")  # PEM, public
    apple_key = pw.TextField(default="")  # Fernet token of the PEM private key
    apple_wwdr = pw.TextField(default="")  # PEM, public
    apple_subject = pw.CharField(max_length=255, default="")
    apple_expires_at = pw.DateTimeField(null=True)
    google_issuer_id = pw.CharField(max_length=32, default="")
    google_client_email = pw.CharField(max_length=255, default="")
    google_key = pw.TextField(default="")  # Fernet token of {"private_key", "private_key_id"}
    updated_at = pw.DateTimeField(default=utcnow)


class WalletPass(OrgScoped):
    """The Apple Wallet pass of one ticket, as last built (like a stored ticket PDF: `fingerprint`
    digests what it shows). `updated_at` moves only when what it shows changed: what a device
    asking "which passes changed since" is told."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    registrant = pw.ForeignKeyField(Registrant, unique=True, backref="wallet_passes", on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, on_delete="CASCADE")
    serial = pw.CharField(max_length=64, unique=True)
    path = pw.CharField(max_length=255, default="")  # relative to instance/
    fingerprint = pw.CharField(max_length=64, default="")
    size = pw.IntegerField(default=0)
    updated_at = pw.DateTimeField(default=utcnow, index=True)


class WalletRegistration(OrgScoped):
    """A device that added a pass and asked to hear of its updates (Apple's pass web service)."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    wallet_pass = pw.ForeignKeyField(WalletPass, backref="registrations", on_delete="CASCADE")
    device = pw.CharField(max_length=128)
    push_token = pw.CharField(max_length=255)
    created_at = pw.DateTimeField(default=utcnow)
    # The pass version (its updated_at) this device was last told of through APNs, and what APNs
    # said the last time it refused a push to this token (webapp/tickets/wallet_push.py).
    pushed_at = pw.DateTimeField(null=True)
    push_error = pw.CharField(max_length=255, default="")
    push_error_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("device", "wallet_pass"), True),)
