"""The Contact Book: one contact per (organization, normalized email), labels, funnel stage and
an activity timeline."""

from __future__ import annotations

import peewee as pw

from webapp.accounts.models import Organization
from webapp.db import JSONField, OrgScoped, utcnow
from webapp.events.models import Event

# pending: a subscription not confirmed yet (double opt-in); complained: marked our mail as spam.
CONTACT_STATUSES = ("active", "pending", "unsubscribed", "bounced", "complained")
NO_PROMOTIONAL_MAIL = frozenset(CONTACT_STATUSES) - {"active"}  # transactional mail only
FUNNEL_STAGES = ("aware", "engaged", "customer", "loyal_customer", "promoter", "lost")


class Contact(OrgScoped):
    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    email = pw.CharField(max_length=254)  # normalized
    name = pw.CharField(max_length=200, default="")
    phone = pw.CharField(max_length=40, default="")
    company = pw.CharField(max_length=200, default="")
    custom = JSONField(default=dict)
    user_id = pw.CharField(max_length=128, null=True)  # the integrator's own id for this person
    status = pw.CharField(max_length=16, default="active", choices=[(s, s) for s in CONTACT_STATUSES])
    stage = pw.CharField(max_length=16, default="aware", choices=[(s, s) for s in FUNNEL_STAGES])
    stage_source = pw.CharField(max_length=32, default="default")  # "person", "rule:<label>", ...
    unsubscribe_token = pw.CharField(max_length=64, unique=True)
    # Where the contact came from first: registration, import, api, ingest, console ("" before
    # this was recorded)
    source = pw.CharField(max_length=32, default="", constraints=[pw.SQL("DEFAULT ''")])
    # When the person agreed to hear from the organization: a new contact is active at once, a
    # pending one has none until it confirms (webapp/contacts/service.set_status keeps it so).
    subscribed_at = pw.DateTimeField(null=True, default=utcnow)
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)
    last_activity_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = (
            (("organization", "email"), True),
            (("organization", "user_id"), False),
            (("organization", "stage"), False),
            (("organization", "status"), False),
            (("organization", "last_activity_at"), False),
        )


class Label(OrgScoped):
    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    name = pw.CharField(max_length=80)
    color = pw.CharField(max_length=7, default="#64748b")
    stage = pw.CharField(max_length=16, null=True)  # label -> funnel stage rule
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("organization", "name"), True),)


class ContactLabel(OrgScoped):
    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    contact = pw.ForeignKeyField(Contact, backref="contact_labels", on_delete="CASCADE")
    label = pw.ForeignKeyField(Label, backref="contact_labels", on_delete="CASCADE")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("contact", "label"), True),)


class Activity(OrgScoped):
    """One entry of a contact's timeline: registered, paid, emailed, checked_in, or an ingested
    product event (signup, purchase, ...)."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    contact = pw.ForeignKeyField(Contact, backref="activities", on_delete="CASCADE")
    kind = pw.CharField(max_length=32)
    occurred_at = pw.DateTimeField(default=utcnow)
    event = pw.ForeignKeyField(Event, null=True, on_delete="SET NULL")
    registrant_id = pw.IntegerField(null=True)
    summary = pw.CharField(max_length=300, default="")  # English, for the API, exports and search
    summary_i18n = JSONField(null=True)  # the same as a stored message (webapp.i18n), shown translated
    data = JSONField(default=dict)
    # Set for activities that must be recorded once ("registered:<registrant id>"): a re-run
    # of the same sync inserts nothing.
    dedupe_key = pw.CharField(max_length=96, null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("contact", "occurred_at"), False),
            (("organization", "kind", "occurred_at"), False),
            (("organization", "dedupe_key"), True),
        )


class EventLabel(OrgScoped):
    """An event adds this label to the contact of each of its registrants."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, backref="contact_labels", on_delete="CASCADE")
    label = pw.ForeignKeyField(Label, backref="event_labels", on_delete="CASCADE")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("event", "label"), True),)


AUTO_LABEL_TRIGGERS = ("registered", "paid", "attended", "repeat_buyer")


class AutoLabel(OrgScoped):
    """A moment of a person's history that labels their contact: registering for an event, paying
    for an order, checking in, paying for a second event. Through the label's stage rule it moves
    the contact along the funnel (webapp/contacts/funnel.py has the defaults). The organization
    chooses the label, changes its rule, or switches the labelling off."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    trigger = pw.CharField(max_length=16, choices=[(t, t) for t in AUTO_LABEL_TRIGGERS])
    label = pw.ForeignKeyField(Label, null=True, on_delete="SET NULL")  # None: the label was deleted
    active = pw.BooleanField(default=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("organization", "trigger"), True),)


class ContactSettings(OrgScoped):
    """Per-organization Contact Book settings (one row per organization, created on first save)."""

    organization = pw.ForeignKeyField(Organization, unique=True, on_delete="CASCADE")
    inactivity_days = pw.IntegerField(null=True)  # None: never move quiet contacts to "lost"
    updated_at = pw.DateTimeField(default=utcnow)
