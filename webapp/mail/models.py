"""The outbox: every email is a row first, delivered by a task after the commit."""

from __future__ import annotations

import peewee as pw

from webapp.accounts.models import Organization, User
from webapp.db import BaseModel, JSONField, OrgScoped, utcnow
from webapp.events.models import Event
from webapp.orders.models import Registrant

OUTBOX_STATES = ("queued", "sending", "sent", "failed", "skipped")  # skipped: never sent, last_error says why
# A campaign's messages are outbox rows too (for the log, tracking and segments), but the campaign's
# own job hands them over (webapp/campaigns/delivery.py): the outbox's delivery and sweep leave them.
CAMPAIGN_KIND = "campaign"
# Mail whose delivery, opens, clicks and bounces are announced (the campaign.* webhooks): campaign
# messages and single sends through the API.
ANNOUNCED_KINDS = frozenset({CAMPAIGN_KIND, "transmission"})


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
    unsubscribe_url = pw.CharField(max_length=500, null=True)  # promotional mail: List-Unsubscribe
    # The send a message belongs to, what segments ask about: "ticket", "payment", "checkin",
    # "automation:<id>", "campaign:<id>"...; None for account mail (invitations, password resets).
    send_key = pw.CharField(max_length=64, null=True)
    contact_id = pw.IntegerField(null=True)  # the organization's contact the message went to
    state = pw.CharField(max_length=8, default="queued", choices=[(s, s) for s in OUTBOX_STATES])
    attempts = pw.IntegerField(default=0)
    last_error = pw.TextField(null=True)
    next_attempt_at = pw.DateTimeField(default=utcnow)
    sent_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=utcnow, index=True)

    class Meta:
        indexes = (
            (("state", "next_attempt_at"), False),
            (("contact_id", "send_key"), False),
        )


ENGAGEMENT_KINDS = ("open", "click")


class MailEngagement(OrgScoped):
    """A recipient opened a message (its pixel was fetched) or clicked one of its links. `machine`
    flags a hit that looks automated (a link scanner, a privacy proxy prefetching the pixel):
    kept, not dropped, so a report can tell them apart."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    outbox = pw.ForeignKeyField(Outbox, backref="engagements", on_delete="CASCADE")
    contact_id = pw.IntegerField(null=True)
    kind = pw.CharField(max_length=8, choices=[(k, k) for k in ENGAGEMENT_KINDS])
    url = pw.CharField(max_length=2000, null=True)  # the link clicked
    machine = pw.BooleanField(default=False)
    occurred_at = pw.DateTimeField(default=utcnow)
    send_key = pw.CharField(max_length=64, null=True)  # the message's, copied: a campaign's report reads one range

    class Meta:
        indexes = (
            (("organization", "contact_id", "kind", "occurred_at"), False),
            (("send_key", "kind", "machine", "outbox"), False),
        )


class SendingDomain(OrgScoped):
    """A domain an organization sends from: its DKIM key and what DNS last said about it."""

    organization = pw.ForeignKeyField(Organization, backref="sending_domains", on_delete="CASCADE")
    domain = pw.CharField(max_length=253)  # lower-case, no trailing dot
    dkim_selector = pw.CharField(max_length=63)
    dkim_private_key = pw.TextField()  # PEM (PKCS#8)
    dkim_public_key = pw.TextField()  # base64 DER, the p= of the DKIM record
    spf_ok = pw.BooleanField(default=False)
    dkim_ok = pw.BooleanField(default=False)
    verified_at = pw.DateTimeField(null=True)  # both records found; mail from it is DKIM-signed
    last_checked_at = pw.DateTimeField(null=True)
    last_error = pw.TextField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("organization", "domain"), True),)

    @property
    def verified(self) -> bool:
        return self.verified_at is not None


class EventMailSettings(OrgScoped):
    """Who an event's emails come from, and whether the check-in confirmation is sent."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, unique=True, on_delete="CASCADE")
    sender_name = pw.CharField(max_length=200, default="")
    sender_email = pw.CharField(max_length=254, default="")  # must be on a verified domain to be used
    reply_to = pw.CharField(max_length=254, default="")
    send_payment_email = pw.BooleanField(default=True)
    send_checkin_email = pw.BooleanField(default=False)
    updated_at = pw.DateTimeField(default=utcnow)


class EmailTemplate(OrgScoped):
    """An operator's version of one email of an event in one language. Without a row the built-in
    default of that slot is used. Slots: ticket, payment, checkin, automation:<id>."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, backref="email_templates", on_delete="CASCADE")
    slot = pw.CharField(max_length=32)
    locale = pw.CharField(max_length=8)
    subject = pw.CharField(max_length=500)
    html_body = pw.TextField()
    text_body = pw.TextField()
    updated_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("event", "slot", "locale"), True),)


AUTOMATION_TRIGGERS = ("registered", "paid", "checked_in", "before_start")


class Automation(OrgScoped):
    """An email sent to each registrant of an event once: `delay_minutes` after a trigger
    (registered, paid, checked_in), or `delay_minutes` before the event starts (before_start)."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, backref="automations", on_delete="CASCADE")
    name = pw.CharField(max_length=120)
    trigger = pw.CharField(max_length=16, choices=[(t, t) for t in AUTOMATION_TRIGGERS])
    delay_minutes = pw.IntegerField(default=0)
    active = pw.BooleanField(default=True)
    created_at = pw.DateTimeField(default=utcnow)

    @property
    def slot(self) -> str:
        return f"automation:{self.id}"


class AutomationRun(OrgScoped):
    """One automation sent to one registrant: the unique row that makes it happen once."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    automation = pw.ForeignKeyField(Automation, backref="runs", on_delete="CASCADE")
    registrant = pw.ForeignKeyField(Registrant, on_delete="CASCADE")
    outbox_id = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("automation", "registrant"), True),)


class EngagementHour(OrgScoped):
    """A send's opens or clicks in one hour (UTC), per link and machine flag, kept by
    webapp/mail/tracking.py in the transaction that records each hit: `hits` counts them,
    `firsts` those that were the message's first of their kind with that machine flag, and
    `firsts_any` its first of their kind at all (so unique counts add up across hours and links).
    A campaign's report reads these instead of every hit."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    send_key = pw.CharField(max_length=64)
    kind = pw.CharField(max_length=8, choices=[(k, k) for k in ENGAGEMENT_KINDS])
    machine = pw.BooleanField()
    url = pw.CharField(max_length=2000)  # "" for opens
    url_hash = pw.CharField(max_length=64)  # SHA-256 of the URL ("" for opens): the key's part
    hour = pw.DateTimeField()
    hits = pw.IntegerField()
    firsts = pw.IntegerField()
    firsts_any = pw.IntegerField()

    class Meta:
        table_name = "engagement_hour"
        indexes = ((("send_key", "kind", "machine", "hour", "url_hash"), True),)
