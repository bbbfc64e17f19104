"""API bookkeeping: idempotency records, rate-limit windows and outgoing webhooks."""

from __future__ import annotations

import peewee as pw

from webapp.accounts.models import Organization, User
from webapp.db import BaseModel, JSONField, OrgScoped, utcnow

WEBHOOK_TOPICS = (
    "registration.created",
    "order.paid",
    "checkin.created",
    "contact.updated",
    "contact.stage_changed",
    "workflow.step",
)
DELIVERY_STATES = ("pending", "succeeded", "failed")


class IdempotencyRecord(OrgScoped):
    """The stored answer to a POST sent with an Idempotency-Key (per organization and key)."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    key = pw.CharField(max_length=255)
    method = pw.CharField(max_length=8)
    path = pw.CharField(max_length=500)
    request_hash = pw.CharField(max_length=64)  # SHA-256 of method, path and the canonical body
    status_code = pw.IntegerField(null=True)  # None: the first request is still running
    response_body = pw.TextField(null=True)
    created_at = pw.DateTimeField(default=utcnow)
    expires_at = pw.DateTimeField(index=True)

    class Meta:
        indexes = ((("organization", "key"), True),)


class RateLimitWindow(BaseModel):
    """Requests counted per key and fixed one-minute window (the database limiter)."""

    api_key_id = pw.IntegerField()
    window = pw.IntegerField()  # unix minute
    count = pw.IntegerField(default=0)

    class Meta:
        primary_key = pw.CompositeKey("api_key_id", "window")


class WebhookEndpoint(OrgScoped):
    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    url = pw.CharField(max_length=500)
    description = pw.CharField(max_length=200, default="")
    topics = JSONField(default=list)
    secret = pw.CharField(max_length=80)  # signs deliveries; shown to the operator once
    active = pw.BooleanField(default=True)
    created_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = pw.DateTimeField(default=utcnow)


class WebhookDelivery(OrgScoped):
    """One message to one endpoint, retried with backoff until it succeeds or gives up."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    endpoint = pw.ForeignKeyField(WebhookEndpoint, backref="deliveries", on_delete="CASCADE")
    message_id = pw.CharField(max_length=40, unique=True)  # sent as "id": receivers dedupe on it
    topic = pw.CharField(max_length=40)
    payload = JSONField()
    state = pw.CharField(max_length=12, default="pending", choices=[(s, s) for s in DELIVERY_STATES])
    attempts = pw.IntegerField(default=0)
    next_attempt_at = pw.DateTimeField(default=utcnow)
    last_status = pw.IntegerField(null=True)
    last_error = pw.TextField(null=True)
    delivered_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("state", "next_attempt_at"), False), (("endpoint", "created_at"), False))


class WebhookAttempt(OrgScoped):
    """The log of every try: status code (None when the connection failed), error, duration."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    delivery = pw.ForeignKeyField(WebhookDelivery, backref="attempt_log", on_delete="CASCADE")
    status_code = pw.IntegerField(null=True)
    error = pw.TextField(null=True)
    response_excerpt = pw.CharField(max_length=500, default="")
    duration_ms = pw.IntegerField(default=0)
    created_at = pw.DateTimeField(default=utcnow)
