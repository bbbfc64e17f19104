"""Event-tracking ingestion: the raw intake of product events and the tag rules applied to them."""

from __future__ import annotations

import peewee as pw

from webapp.accounts.models import Organization
from webapp.db import JSONField, OrgScoped, utcnow

EVENT_TYPES = (
    "signup",
    "purchase",
    "core_activity",
    "referral",
    "feature_used",
    "support_ticket",
    "cart",
    "re_engagement",
)
INCOMING_STATES = ("pending", "processed", "failed")
TAG_ACTIONS = ("add", "remove")


class IncomingEvent(OrgScoped):
    """An event as the integrator sent it, stored before anything else happens to it."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    type = pw.CharField(max_length=32)
    email = pw.CharField(max_length=254, null=True)
    user_id = pw.CharField(max_length=128, null=True)
    occurred_at = pw.DateTimeField()
    properties = JSONField(default=dict)
    idempotency_key = pw.CharField(max_length=255, null=True)
    status = pw.CharField(max_length=12, default="pending", choices=[(s, s) for s in INCOMING_STATES])
    process_error = pw.TextField(null=True)
    contact_id = pw.IntegerField(null=True)
    activity_id = pw.IntegerField(null=True)
    received_at = pw.DateTimeField(default=utcnow)
    processed_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = (
            (("organization", "idempotency_key"), True),
            (("organization", "status"), False),
            # segments: "did T at least N times within D days" reads only this index
            (("organization", "type", "occurred_at", "contact_id"), False),
        )


class TagRule(OrgScoped):
    """When an event of `event_type` (with `property_name` = `property_value`, if set) arrives:
    add or remove `label` on its contact."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event_type = pw.CharField(max_length=32)
    property_name = pw.CharField(max_length=100, null=True)
    property_value = pw.CharField(max_length=200, null=True)
    action = pw.CharField(max_length=8, choices=[(a, a) for a in TAG_ACTIONS])
    label = pw.CharField(max_length=80)
    active = pw.BooleanField(default=True)
    created_at = pw.DateTimeField(default=utcnow)
