"""Contacts and labels, written through the Contact Book service."""

from __future__ import annotations

import itertools

from webapp.accounts.models import Organization
from webapp.contacts import labels, service
from webapp.contacts.models import Contact, Label

_seq = itertools.count(1)


def make_contact(org: Organization, email: str | None = None, **kwargs) -> Contact:
    """A contact of `org` (name, phone, company, custom, user_id as keywords)."""
    n = next(_seq)
    kwargs.setdefault("name", f"Contact {n}")
    return service.upsert_contact(org.id, email or f"contact{n}@example.org", **kwargs)


def make_label(org: Organization, name: str | None = None, **kwargs) -> Label:
    """A label of `org` (color, stage as keywords)."""
    n = next(_seq)
    return labels.create_label(org.id, name or f"Label {n}", **kwargs)
