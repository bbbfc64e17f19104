"""The outbox: every email is a row first, delivered by a task after the commit."""

from __future__ import annotations

import peewee as pw

from webapp.accounts.models import Organization
from webapp.db import BaseModel, JSONField, utcnow

OUTBOX_STATES = ("queued", "sending", "sent", "failed")


class Outbox(BaseModel):
    organization = pw.ForeignKeyField(Organization, null=True, on_delete="CASCADE")
    message_id = pw.CharField(max_length=255, unique=True)  # the Message-ID header, one per email
    kind = pw.CharField(max_length=32)  # invite, password_reset, ticket, payment, checkin, reminder...
    to_email = pw.CharField(max_length=254)
    to_name = pw.CharField(max_length=200, default="")
    from_email = pw.CharField(max_length=254)
    from_name = pw.CharField(max_length=200, default="")
    reply_to = pw.CharField(max_length=254, null=True)
    subject = pw.CharField(max_length=500)
    text_body = pw.TextField()
    html_body = pw.TextField(null=True)
    attachments = JSONField(default=list)  # [{"filename", "content_type", "path"}] under instance/
    event_id = pw.IntegerField(null=True, index=True)
    registrant_id = pw.IntegerField(null=True, index=True)
    order_id = pw.IntegerField(null=True, index=True)
    state = pw.CharField(max_length=8, default="queued", choices=[(s, s) for s in OUTBOX_STATES])
    attempts = pw.IntegerField(default=0)
    last_error = pw.TextField(null=True)
    next_attempt_at = pw.DateTimeField(default=utcnow)
    sent_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=utcnow, index=True)

    class Meta:
        indexes = ((("state", "next_attempt_at"), False),)
