"""Events and their landing-page texts."""

from __future__ import annotations

import peewee as pw

from webapp.accounts.models import Organization
from webapp.db import JSONField, OrgScoped, utcnow

EVENT_STATUSES = ("draft", "published", "closed", "archived")


class Event(OrgScoped):
    organization = pw.ForeignKeyField(Organization, backref="events", on_delete="CASCADE")
    slug = pw.CharField(max_length=80)
    name = pw.CharField(max_length=200)
    summary = pw.CharField(max_length=500, default="")
    description_md = pw.TextField(default="")
    # Per-language operator texts: {"id": {"name": ..., "summary": ..., "description_md": ...}}
    translations = JSONField(default=dict)
    languages = JSONField(default=lambda: ["en"])  # first one is the default
    timezone = pw.CharField(max_length=64, default="UTC")  # IANA name
    starts_at = pw.DateTimeField()  # UTC
    ends_at = pw.DateTimeField()  # UTC
    venue_name = pw.CharField(max_length=200, default="")
    venue_address = pw.TextField(default="")
    online_url = pw.CharField(max_length=500, default="")
    cover_image = pw.CharField(max_length=255, null=True)  # path under instance/uploads
    tags = JSONField(default=list)
    status = pw.CharField(max_length=16, default="draft", choices=[(s, s) for s in EVENT_STATUSES])
    currency = pw.CharField(max_length=3, default="IDR")

    # Registration settings
    registration_opens_at = pw.DateTimeField(null=True)
    registration_closes_at = pw.DateTimeField(null=True)
    capacity = pw.IntegerField(null=True)  # event-wide limit of admitted registrants
    max_tickets_per_order = pw.IntegerField(default=10)
    # Registrations one email address may hold (as attendee or buyer); None: no limit
    max_registrations_per_email = pw.IntegerField(null=True)
    invite_only = pw.BooleanField(default=False)
    requires_approval = pw.BooleanField(default=False)
    approval_limit = pw.IntegerField(null=True)
    cancel_allowed_until = pw.DateTimeField(null=True)  # attendees may cancel until then

    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("organization", "slug"), True),)
