"""A campaign ready to send: an organization with a verified sending domain (its DKIM key, the
records in a fake DNS zone) and labelled contacts."""

from __future__ import annotations

import dkim

from tests.factories.accounts import make_org
from tests.factories.contacts import make_contact, make_label
from webapp.campaigns import service
from webapp.contacts import service as contacts
from webapp.db import utcnow
from webapp.mail import domains
from webapp.mail.models import SendingDomain

BODY = (
    "<html><body><h1>Doors open at 8</h1>"
    '<p>Hello {{ contact.first_name | default("there") }}, here is '
    '<a href="https://example.org/map">the map</a>.</p></body></html>'
)


def verified_domain(org, name: str = "news.example.org") -> SendingDomain:
    row = domains.add_domain(org, name, actor=None)
    row.verified_at = utcnow()
    row.save()
    return row


def dns_for(row: SendingDomain):
    """dkimpy's dnsfunc answering the domain's DKIM record."""
    records = {f"{r['name']}.": r["value"] for r in domains.records(row)}

    def dnsfunc(name, timeout=5):
        value = records.get(name.decode())
        return value.encode() if value else None

    return dnsfunc


def verifies(raw: bytes, row: SendingDomain) -> bool:
    return dkim.verify(raw, dnsfunc=dns_for(row))


def ready_campaign(org=None, *, people: int = 3, names=None, **values):
    """(campaign, label, contacts): a draft to the label's contacts from the verified domain."""
    if org is None:
        org = make_org()
        org.postal_address = "Jl. Sudirman 1\nJakarta 10220"
        org.save()
    if not SendingDomain.select().where(SendingDomain.organization == org.id).exists():
        verified_domain(org)
    label = make_label(org)
    names = names or [f"Person{i} Test" for i in range(people)]
    members = []
    for name in names:
        contact = make_contact(org, name=name)
        contacts.add_label(contact, label.name)
        members.append(contact)
    fields = {
        "name": "Doors open",
        "subject": "Hi {{ contact.first_name }}: doors open at 8",
        "from_name": "JTS Team",
        "from_email": "hello@news.example.org",
        "body_html": BODY,
        "audience": {"include_labels": [label.id]},
        **values,
    }
    return service.create(org, fields), label, members
