"""Events and their landing-page texts."""

from __future__ import annotations

import peewee as pw

from webapp.accounts.models import Organization, User
from webapp.db import JSONField, OrgScoped, utcnow

EVENT_STATUSES = ("draft", "published", "closed", "archived")
# The largest limits an organizer may set, in the console and in the API alike.
MOST_SEATS = 10_000_000  # an event's capacity or approvals, a ticket type's quota, a coupon's uses
MOST_PER_ORDER = 1000  # the items of one order: an event's limit, a ticket type's, a coupon's


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
    # The lobby shows online_url from this many minutes before the start
    join_link_opens_minutes = pw.IntegerField(default=30, constraints=[pw.SQL("DEFAULT 30")])
    venue_map_url = pw.CharField(max_length=500, default="", constraints=[pw.SQL("DEFAULT ''")])
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
    # The registration form offers a subscription to this newsletter (webapp/contacts newsletters)
    newsletter_id = pw.IntegerField(null=True)
    # New tickets carry an Ed25519 signature a door device checks offline (orders/signed_secrets.py).
    signed_tickets = pw.BooleanField(default=False, constraints=[pw.SQL("DEFAULT FALSE")])

    # Bumped in the transaction of every change the landing page shows (service.page_changed):
    # the page cache keys on it, so an edit shows on the next request.
    page_version = pw.IntegerField(default=0)

    created_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("organization", "slug"), True),)

    def save(self, force_insert: bool = False, only=None):
        if self.id is None or force_insert:
            return super().save(force_insert=force_insert, only=only)
        # An edit: the version goes up in the database, never back to what this copy last read.
        fields = only or [f for f in self._meta.sorted_fields if f.name != "page_version" and not f.primary_key]
        rows = super().save(only=fields)
        page_changed(self.id)
        return rows


class EventResponsible(OrgScoped):
    """A member of the organization responsible for the event (shown in the lists, "my events")."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, backref="responsibles", on_delete="CASCADE")
    user = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("event", "user"), True),)


class EventAnnouncement(OrgScoped):
    """What is new: a short note operators post for the event's ticket holders (their lobby)."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, backref="announcements", on_delete="CASCADE")
    body = pw.TextField()
    posted_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("event", "created_at"), False),)


def page_changed(event_id: int) -> None:
    """Something the event's landing page shows changed (a product, a question, a text): cached
    copies of the page stop being served. Call it in the transaction of the change."""
    Event.update(page_version=Event.page_version + 1).where(Event.id == event_id).execute()
    pages_changed_here()


_changes_here = [0]  # landing pages changed by this process so far (see `changes_seen_here`)


def pages_changed_here() -> None:
    """This process changed what some landing page shows: the page versions it keeps for a
    moment (events.service.PageEvents) are read again at its next request."""
    _changes_here[0] += 1


def changes_seen_here() -> int:
    return _changes_here[0]


class ShownOnLandingPage:
    """A row of an event that its landing page shows: saving or deleting it changes the page."""

    def save(self, *args, **kwargs):
        result = super().save(*args, **kwargs)
        page_changed(self.event_id)
        return result

    def delete_instance(self, *args, **kwargs):
        result = super().delete_instance(*args, **kwargs)
        page_changed(self.event_id)
        return result
