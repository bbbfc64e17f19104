"""Email campaigns: the campaign an operator composes, and its recipients, resolved once at send
time into one row per contact (its status is what the delivery job and the reports read).

A campaign's messages are also outbox rows (kind "campaign", send key "campaign:<id>") created as
they are handed over, so opens and clicks land in the same MailEngagement rows as every other
message, and the segments' mail engagement dimension sees them.
"""

from __future__ import annotations

import peewee as pw

from webapp.accounts.models import Organization, User
from webapp.contacts.models import Contact
from webapp.db import JSONField, OrgScoped, utcnow

CAMPAIGN_STATES = ("draft", "scheduled", "sending", "paused", "sent", "reported")
RECIPIENT_STATUSES = ("queued", "sending", "sent", "deferred", "bounced", "failed", "skipped")
FINAL_STATUSES = ("sent", "bounced", "failed", "skipped")
REGISTRANT_STATES = ("registered", "paid", "pending_payment", "attended", "no_show")


def empty_audience() -> dict:
    """Who a campaign goes to: all subscribed contacts, or the included labels and segments (and
    registrants of an event in some states), minus the excluded labels and segments."""
    return {
        "all_subscribed": False,
        "include_labels": [],
        "include_segments": [],
        "exclude_labels": [],
        "exclude_segments": [],
        "event_registrants": None,  # {"event_id": 1, "states": ["attended", ...]}
        "project_id": None,  # the registrants of a project's events (webapp/projects)
        "newsletter_id": None,  # only the confirmed subscribers of this newsletter
    }


class Campaign(OrgScoped):
    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    name = pw.CharField(max_length=200)
    subject = pw.CharField(max_length=500, default="")
    from_name = pw.CharField(max_length=200, default="")
    from_email = pw.CharField(max_length=254, default="")  # on a verified sending domain to launch
    reply_to = pw.CharField(max_length=254, default="")
    preheader = pw.CharField(max_length=300, default="")
    body_html = pw.TextField(default="")
    body_text = pw.TextField(default="")  # empty: generated from the HTML
    body_blocks = JSONField(null=True)  # the composer's block list; None: raw HTML mode
    template_id = pw.IntegerField(null=True)  # the reusable template it started from
    audience = JSONField(default=empty_audience)
    state = pw.CharField(max_length=16, default="draft", choices=[(s, s) for s in CAMPAIGN_STATES])
    send_at = pw.DateTimeField(null=True)  # UTC; when a scheduled campaign goes out
    send_time_optimization = pw.BooleanField(default=False)
    track_opens = pw.BooleanField(default=True)
    track_clicks = pw.BooleanField(default=True)
    category = pw.CharField(max_length=80, default="")
    created_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)
    sent_at = pw.DateTimeField(null=True)  # sending started (recipients resolved)
    finished_at = pw.DateTimeField(null=True)  # every recipient final
    reported_at = pw.DateTimeField(null=True)  # the engagement window closed, report frozen
    paused_reason = pw.TextField(null=True)  # English, for the API
    paused_reason_i18n = JSONField(null=True)  # the same as a stored message (webapp.i18n), shown translated
    job_id = pw.IntegerField(null=True)  # the delivery job running now (or last)
    recipient_count = pw.IntegerField(default=0)  # resolved recipients, skipped ones included
    resolved_at = pw.DateTimeField(null=True)  # recipients resolved (once: a resumed send adds nobody)
    report = JSONField(null=True)  # the aggregates frozen when reported
    project_id = pw.IntegerField(null=True, index=True)  # sent from this project's page

    class Meta:
        indexes = (
            (("organization", "state"), False),
            (("state", "send_at"), False),
        )

    @property
    def send_key(self) -> str:
        return f"campaign:{self.id}"


class CampaignRecipient(OrgScoped):
    """One contact a campaign goes to. queued -> sending (claimed by the delivery job, its outbox
    row and Message-ID made) -> sent; deferred (soft failure, retried at next_attempt_at) ->
    sending again; bounced (5xx: the contact is marked bounced), failed (gave up), skipped (never
    sent: skip_reason says why)."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    campaign = pw.ForeignKeyField(Campaign, backref="recipients", on_delete="CASCADE")
    contact = pw.ForeignKeyField(Contact, on_delete="CASCADE")
    email = pw.CharField(max_length=254)
    status = pw.CharField(max_length=8, default="queued", choices=[(s, s) for s in RECIPIENT_STATUSES])
    skip_reason = pw.CharField(max_length=32, null=True)  # unsubscribed, bounced, complained, pending
    message_id = pw.CharField(max_length=255, null=True)  # the Message-ID header
    outbox_id = pw.IntegerField(null=True, index=True)
    attempts = pw.IntegerField(default=0)
    soft_failures = pw.IntegerField(default=0)  # 4xx answers and lost connections (soft bounces)
    next_attempt_at = pw.DateTimeField(null=True)
    scheduled_for = pw.DateTimeField(null=True)  # send-time optimization: not before this
    sent_at = pw.DateTimeField(null=True)
    error = pw.TextField(null=True)
    unsubscribed_at = pw.DateTimeField(null=True)  # through this campaign's link or header
    complained_at = pw.DateTimeField(null=True)  # a complaint (ARF report) about this message

    class Meta:
        table_name = "campaign_recipient"
        indexes = (
            (("campaign", "contact"), True),
            (("campaign", "status", "id"), False),
            (("campaign", "sent_at"), False),
            (("organization", "sent_at"), False),
        )


class Transmission(OrgScoped):
    """A single message sent through the API (POST /api/v1/transmissions): its outbox row and the
    caller's `metadata`, which every webhook about the message carries back."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    outbox_id = pw.IntegerField(unique=True)
    metadata = JSONField(default=dict)
    created_at = pw.DateTimeField(default=utcnow)


class CampaignTally(OrgScoped):
    """A campaign's recipients counted as their statuses change (in the transaction of each
    change), so a report reads a dozen rows instead of every recipient. `key`: a status (queued,
    sending, sent, deferred, bounced, failed, skipped), "skipped:<reason>", "soft" (recipients
    with a soft failure), "unsubscribed", "complained". webapp/campaigns/tally.py keeps them."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    campaign = pw.ForeignKeyField(Campaign, on_delete="CASCADE")
    key = pw.CharField(max_length=48)
    value = pw.IntegerField(default=0)

    class Meta:
        table_name = "campaign_tally"
        indexes = ((("campaign", "key"), True),)
