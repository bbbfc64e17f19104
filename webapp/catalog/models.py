"""Products (ticket types and add-ons), coupons and registration questions."""

from __future__ import annotations

import peewee as pw

from webapp.accounts.models import Organization
from webapp.db import JSONField, OrgScoped, utcnow
from webapp.events.models import Event, ShownOnLandingPage

# How people join a participant group: anyone with its link, only with an invitation, every
# registration awaits the operator's acceptance, or the first `accept_limit` are accepted at once
# and the rest await acceptance.
GROUP_REGISTRATION = ("open", "invited", "acceptance", "accept_limit")
BADGE_LAYOUTS = ("standard", "large_name", "ribbon")

QUESTION_KINDS = ("text", "textarea", "choice", "multichoice", "checkbox", "number", "date", "phone", "country")


class Product(ShownOnLandingPage, OrgScoped):
    """A ticket type or add-on. The product row is the quota row: it is locked when seats are taken."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, backref="products", on_delete="CASCADE")
    name = pw.CharField(max_length=200)
    description = pw.TextField(default="")
    translations = JSONField(default=dict)
    price = pw.BigIntegerField(default=0)  # minor units of `currency`
    currency = pw.CharField(max_length=3)
    quota = pw.IntegerField(null=True)  # None: unlimited
    sale_starts_at = pw.DateTimeField(null=True)
    sale_ends_at = pw.DateTimeField(null=True)
    min_per_order = pw.IntegerField(default=0)
    max_per_order = pw.IntegerField(null=True)
    hidden = pw.BooleanField(default=False)  # only via invitation or direct link
    # A hidden product is offered to whoever opens the landing page with ?product=<access_key>
    access_key = pw.CharField(max_length=32, null=True, index=True)
    position = pw.IntegerField(default=0)
    admits_entry = pw.BooleanField(default=True)  # ticket (True) or add-on (False)
    active = pw.BooleanField(default=True)
    created_at = pw.DateTimeField(default=utcnow)


class Coupon(OrgScoped):
    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, backref="coupons", on_delete="CASCADE")
    code = pw.CharField(max_length=64)  # stored upper-case; matched case-insensitively
    kind = pw.CharField(max_length=8, choices=[("percent", "percent"), ("fixed", "fixed")])
    value = pw.BigIntegerField()  # percent: 1..100; fixed: minor units
    product_ids = JSONField(default=list)  # empty: applies to all products
    usage_limit = pw.IntegerField(null=True)
    per_order_limit = pw.IntegerField(null=True)  # discounted units per order
    valid_from = pw.DateTimeField(null=True)
    valid_until = pw.DateTimeField(null=True)
    active = pw.BooleanField(default=True)
    times_used = pw.IntegerField(default=0)  # updated in the order's transaction
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("event", "code"), True),)


class Question(ShownOnLandingPage, OrgScoped):
    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, backref="questions", on_delete="CASCADE")
    label = pw.CharField(max_length=300)
    help_text = pw.CharField(max_length=500, default="")
    translations = JSONField(default=dict)
    kind = pw.CharField(max_length=16, choices=[(k, k) for k in QUESTION_KINDS])
    options = JSONField(default=list)  # for choice / multichoice
    required = pw.BooleanField(default=False)
    per_attendee = pw.BooleanField(default=False)  # False: asked once per order
    contact_field = pw.CharField(max_length=64, null=True)  # e.g. "phone", "company", "custom:size"
    show_at_checkin = pw.BooleanField(default=False)  # the door sees this answer on the scan screen
    position = pw.IntegerField(default=0)
    created_at = pw.DateTimeField(default=utcnow)


class ParticipantGroup(OrgScoped):
    """A kind of participant of an event (Attendees, Speakers, Press...): its own capacity, how
    people join it, the products it may buy and its badge layout. Every event has one default
    group (`is_default`): whoever registers without a group's link or invitation joins it."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, backref="participant_groups", on_delete="CASCADE")
    name = pw.CharField(max_length=100)
    is_default = pw.BooleanField(default=False)
    # The group's registration link carries it (?group=<key>); unique over every event
    key = pw.CharField(max_length=32, unique=True)
    capacity = pw.IntegerField(null=True)  # None: only the event's own limits
    registration = pw.CharField(max_length=16, default="open", choices=[(r, r) for r in GROUP_REGISTRATION])
    accept_limit = pw.IntegerField(null=True)  # with registration "accept_limit"
    product_ids = JSONField(default=list)  # empty: every product no other group is limited to
    badge_layout = pw.CharField(max_length=16, default="standard")
    position = pw.IntegerField(default=0)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("event", "name"), True),)
