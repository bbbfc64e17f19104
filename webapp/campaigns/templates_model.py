"""Reusable campaign templates: a body (blocks, or raw HTML) with its subject and preheader that
an organization's campaigns start from."""

from __future__ import annotations

import peewee as pw

from webapp.accounts.models import Organization, User
from webapp.db import JSONField, OrgScoped, utcnow


class CampaignTemplate(OrgScoped):
    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    name = pw.CharField(max_length=200)
    subject = pw.CharField(max_length=500, default="")
    preheader = pw.CharField(max_length=300, default="")
    body_blocks = JSONField(null=True)  # the composer's block list; None: raw HTML mode
    body_html = pw.TextField(default="")  # raw HTML mode (blocks are rendered when used)
    body_text = pw.TextField(default="")  # empty: generated from the HTML
    created_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "campaign_template"
        indexes = ((("organization", "name"), True),)
