"""Sending domains: an organization proves it controls a domain (SPF and DKIM records in DNS)
before mail goes out From an address on it, DKIM-signed with the domain's key."""

from __future__ import annotations

import email.utils
import re

from webapp.accounts import audit
from webapp.db import db, utcnow
from webapp.i18n import _, stored_text
from webapp.mail import dkim_keys
from webapp.mail.models import SendingDomain

DOMAIN_RE = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$")


class DomainError(ValueError):
    """A domain that cannot be added; the message is fit for the form field."""


def normalize_domain(text: str) -> str:
    domain = text.strip().lower().rstrip(".")
    if "@" in domain:
        domain = domain.rpartition("@")[2]
    try:
        domain = domain.encode("idna").decode()
    except UnicodeError:
        raise DomainError(_("Enter a domain name such as example.org")) from None
    if not DOMAIN_RE.match(domain) or domain.rsplit(".", 1)[-1].isdigit():
        raise DomainError(_("Enter a domain name such as example.org"))
    return domain


def add_domain(org, text: str, *, actor) -> SendingDomain:
    domain = normalize_domain(text)
    if SendingDomain.select().where((SendingDomain.organization == org) & (SendingDomain.domain == domain)).exists():
        raise DomainError(_("%(domain)s is already on the list.", domain=domain))
    private, public = dkim_keys.new_key_pair()
    with db.atomic():
        row = SendingDomain.create(
            organization=org,
            domain=domain,
            dkim_selector=dkim_keys.new_selector(),
            dkim_private_key=private,
            dkim_public_key=public,
        )
        audit.record(
            org.id,
            "mail.domain_add",
            user=actor,
            target=row,
            summary=stored_text("Added sending domain %(domain)s", domain=domain),
        )
    return row


def remove_domain(row: SendingDomain, *, actor) -> None:
    with db.atomic():
        audit.record(
            row.organization_id,
            "mail.domain_remove",
            user=actor,
            target=row,
            summary=stored_text("Removed %(domain)s", domain=row.domain),
        )
        row.delete_instance()


def records(row: SendingDomain) -> list[dict[str, str]]:
    """The TXT records to publish, with whether DNS had them at the last check."""
    return [
        {"kind": "SPF", "type": "TXT", "name": row.domain, "value": dkim_keys.SPF_VALUE, "ok": row.spf_ok},
        {
            "kind": "DKIM",
            "type": "TXT",
            "name": dkim_keys.dkim_record_name(row.dkim_selector, row.domain),
            "value": dkim_keys.dkim_record_value(row.dkim_public_key),
            "ok": row.dkim_ok,
        },
    ]


def verify(row: SendingDomain, *, actor=None) -> SendingDomain:
    """Look both records up; the domain is verified while both are there. A lookup failure keeps
    the previous verdict and records the error (DNS hiccups must not stop mail)."""
    try:
        dkim_ok = dkim_keys.check_dkim(row.dkim_selector, row.domain, row.dkim_public_key)
        spf_ok = dkim_keys.check_spf(row.domain)
    except LookupError as exc:
        row.last_error = str(exc)[:1000]
        row.last_checked_at = utcnow()
        row.save()
        return row
    was_verified = row.verified
    row.dkim_ok, row.spf_ok, row.last_checked_at = dkim_ok, spf_ok, utcnow()
    missing = [name for name, ok in (("SPF", spf_ok), ("DKIM", dkim_ok)) if not ok]
    row.last_error = f"Not found in DNS yet: {' and '.join(missing)}" if missing else None
    if not missing:
        row.verified_at = row.verified_at or utcnow()
    else:
        row.verified_at = None
    with db.atomic():
        row.save()
        if row.verified != was_verified:
            audit.record(
                row.organization_id,
                "mail.domain_verified" if row.verified else "mail.domain_unverified",
                user=actor,
                target=row,
                summary=stored_text("%(domain)s verified", domain=row.domain)
                if row.verified
                else stored_text("%(domain)s no longer verified", domain=row.domain),
            )
    return row


def verified_domain(org_id: int | None, address: str | None) -> SendingDomain | None:
    """The organization's verified domain that `address` is on, if any."""
    if not org_id or not address:
        return None
    domain = email.utils.parseaddr(address)[1].rpartition("@")[2].lower()
    if not domain:
        return None
    return SendingDomain.get_or_none(
        (SendingDomain.organization == org_id)
        & (SendingDomain.domain == domain)
        & (SendingDomain.verified_at.is_null(False))
    )


def domains_for(org_id: int) -> list[SendingDomain]:
    return list(SendingDomain.for_org(org_id).order_by(SendingDomain.domain))
