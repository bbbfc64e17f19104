"""Delivery reports received by the bounce mailbox: a DSN (RFC 3464) saying a message could not be
delivered, for good (hard) or for now (soft), or a complaint (ARF, RFC 5965) that a recipient
marked a message as spam. One row per report and recipient, kept for the contact's history and
the campaign reports."""

from __future__ import annotations

import peewee as pw

from webapp.accounts.models import Organization
from webapp.db import OrgScoped, utcnow

BOUNCE_KINDS = ("hard", "soft", "complaint")


class MailBounce(OrgScoped):
    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    outbox_id = pw.IntegerField(null=True)  # the message reported on, when it was found
    campaign_id = pw.IntegerField(null=True)
    contact_id = pw.IntegerField(null=True)
    email = pw.CharField(max_length=254)
    kind = pw.CharField(max_length=16, choices=[(k, k) for k in BOUNCE_KINDS])
    action = pw.CharField(max_length=16, default="")  # DSN Action (failed, delayed) or ARF Feedback-Type
    status = pw.CharField(max_length=16, default="")  # DSN Status, e.g. 5.1.1
    diagnostic = pw.TextField(default="")
    found_by = pw.CharField(max_length=16, default="")  # token, message_id, recipient
    retry_outbox_id = pw.IntegerField(null=True)  # a soft bounce's new attempt
    received_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "mail_bounce"
        indexes = (
            (("organization", "received_at"), False),
            (("outbox_id", "kind"), False),
            (("campaign_id", "kind"), False),
        )
