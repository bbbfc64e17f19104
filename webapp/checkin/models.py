"""Check-in lists and the log of every scan."""

from __future__ import annotations

import peewee as pw

from webapp.accounts.models import Organization, User
from webapp.db import JSONField, OrgScoped, utcnow
from webapp.events.models import Event
from webapp.orders.models import Registrant

CHECKIN_RESULTS = ("ok", "error")
CHECKIN_REASONS = (
    "invalid",
    "wrong_event",
    "unpaid",
    "canceled",
    "unapproved",
    "already_checked_in",
    "product",
    "not_yet",
    "expired",
    "blocked",
)


class CheckinList(OrgScoped):
    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, backref="checkin_lists", on_delete="CASCADE")
    name = pw.CharField(max_length=120)
    all_products = pw.BooleanField(default=True)
    product_ids = JSONField(default=list)  # when not all_products
    group_ids = JSONField(default=list, constraints=[pw.SQL("DEFAULT '[]'")])  # participant groups admitted; empty: all
    starts_at = pw.DateTimeField(null=True)  # UTC
    ends_at = pw.DateTimeField(null=True)
    multi_entry = pw.BooleanField(default=False)
    allow_exit = pw.BooleanField(default=False)
    is_default = pw.BooleanField(default=False)
    created_at = pw.DateTimeField(default=utcnow)


class Checkin(OrgScoped):
    """Every scan attempt, failed ones too."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, on_delete="CASCADE")
    checkin_list = pw.ForeignKeyField(CheckinList, backref="checkins", on_delete="CASCADE")
    registrant = pw.ForeignKeyField(Registrant, null=True, backref="checkins", on_delete="CASCADE")
    kind = pw.CharField(max_length=8, default="entry")  # entry / exit
    result = pw.CharField(max_length=8, choices=[(r, r) for r in CHECKIN_RESULTS])
    reason = pw.CharField(max_length=24, null=True)
    gate = pw.CharField(max_length=64, default="")
    user = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    nonce = pw.CharField(max_length=64, null=True)
    forced = pw.BooleanField(default=False)
    force_reason = pw.CharField(max_length=300, null=True)
    undone_at = pw.DateTimeField(null=True)
    undone_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="undone_checkins")
    data = JSONField(default=dict)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("checkin_list", "nonce"), True),
            (("event", "created_at"), False),
            (("registrant", "checkin_list"), False),
        )


class Attendance(OrgScoped):
    """Where one registrant stands on one check-in list. The unique (list, registrant) row is what
    makes "exactly one `ok`" a database fact: an entry claims it with a conditional UPDATE whose
    row count decides, so two gates scanning the same ticket at once cannot both win."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    checkin_list = pw.ForeignKeyField(CheckinList, backref="attendances", on_delete="CASCADE")
    registrant = pw.ForeignKeyField(Registrant, backref="attendances", on_delete="CASCADE")
    entries = pw.IntegerField(default=0)  # `ok` entry scans that were not undone
    inside = pw.BooleanField(default=False)  # entered and not scanned out since
    last_entry_at = pw.DateTimeField(null=True)
    last_gate = pw.CharField(max_length=64, default="")
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("checkin_list", "registrant"), True), (("checkin_list", "updated_at"), False))


REVIEW_REASONS = CHECKIN_REASONS  # what the server answered a scan a device had admitted offline


class AdmissionReview(OrgScoped):
    """A ticket a door device admitted while offline that the server, replaying the scan, refused:
    most often `already_checked_in` (admitted at two devices, or offline at one and online at
    another). A supervisor looks at each and resolves it; nothing is dropped silently."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, on_delete="CASCADE")
    checkin_list = pw.ForeignKeyField(CheckinList, on_delete="CASCADE")
    registrant = pw.ForeignKeyField(Registrant, null=True, on_delete="CASCADE")
    checkin = pw.ForeignKeyField(Checkin, unique=True, on_delete="CASCADE")  # the replayed, refused scan
    reason = pw.CharField(max_length=24)
    device = pw.CharField(max_length=64, default="")
    device_time = pw.DateTimeField(null=True)  # UTC, as the device's clock had it
    previous_at = pw.DateTimeField(null=True)  # the admission that stands
    previous_gate = pw.CharField(max_length=64, default="")
    resolved_at = pw.DateTimeField(null=True)
    resolved_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    resolution = pw.CharField(max_length=300, default="")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("event", "resolved_at"), False),)
