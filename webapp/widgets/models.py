"""Website widgets: the websites an organization lets frame its forms, and each event's self
check-in switch."""

from __future__ import annotations

import peewee as pw

from webapp.accounts.models import Organization, User
from webapp.db import JSONField, OrgScoped, utcnow
from webapp.events.models import Event


class WidgetSettings(OrgScoped):
    """The origins (https://www.example.org) whose pages may frame the organization's widgets.
    None saved, or an empty list: no website may frame them."""

    organization = pw.ForeignKeyField(Organization, unique=True, on_delete="CASCADE")
    origins = JSONField(default=list)
    updated_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "widget_settings"


class EventWidget(OrgScoped):
    """An event's widget switches: the self check-in form is off until an operator turns it on."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, unique=True, on_delete="CASCADE")
    self_checkin = pw.BooleanField(default=False)
    updated_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "event_widget"
