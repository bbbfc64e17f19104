"""The Contact Book: one contact per (organization, normalized email), its labels, funnel stage,
status and activity timeline.

Every function takes ids or rows already scoped to an organization. `actor` is the operator (a
User) or None for the API and the system; `actor_label` names a non-person actor in the audit
trail ("api key 'crm'"). Changes emit `signals.contact_updated` after the commit.
Registrants reach the Contact Book through webapp/orders/contact_sync.py (orders feed contacts).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import peewee as pw

from webapp import signals
from webapp.accounts import audit
from webapp.contacts import rules
from webapp.contacts.models import (
    CONTACT_STATUSES,
    FUNNEL_STAGES,
    NO_PROMOTIONAL_MAIL,
    Activity,
    Contact,
    ContactLabel,
    Label,
)
from webapp.contacts.rules import normalize_email
from webapp.db import db, locked, utcnow, write_transaction
from webapp.i18n import StoredText, _, stored_columns, stored_label, stored_text, verbatim
from webapp.runtime import settings

__all__ = [
    "ContactError",
    "normalize_email",
    "upsert_contact",
    "update_contact",
    "record_activity",
    "add_label",
    "remove_label",
    "find_label",
    "set_stage",
    "set_status",
    "unsubscribe",
    "unsubscribe_url",
    "unsubscribe_url_for_email",
    "is_unsubscribed",
    "mark_bounced",
]

UPSERT_ATTEMPTS = 3


class ContactError(ValueError):
    """Input a contact cannot take; `field` names the form field it is about."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _audit(
    contact: Contact, action: str, *, actor, actor_label, summary: StoredText, changes: dict | None = None
) -> None:
    if actor is None and actor_label is None:
        return  # rules and syncs are not operator actions: the timeline tells their story
    audit.record(
        contact.organization_id, action, user=actor, actor=actor_label, target=contact, summary=summary, changes=changes
    )


def _changed(contact: Contact, **announce) -> None:
    """Announce the change (`stage_changes`: the stage moves it made, for the stage webhook)."""
    signals.emit(signals.contact_updated, contact_id=contact.id, **announce)


# Contacts ---------------------------------------------------------------------------------------


def upsert_contact(
    org_id: int,
    email: str,
    *,
    name: str | None = None,
    phone: str | None = None,
    company: str | None = None,
    custom: dict | None = None,
    user_id: str | None = None,
    source: str = "",
) -> Contact:
    """The contact of this email in this organization, created if new (`source` says where it came
    from: import, api, ingest, ...); the given values merge in (non-empty values win, nothing is
    erased). Two workers upserting the same email end with one
    contact: the unique (organization, email) index rejects the second insert, which then merges."""
    normalized = normalize_email(email)
    if not normalized:
        raise ContactError(_("%(email)s is not an email address.", email=repr(email)), "email")
    incoming = rules.incoming_fields(name=name, phone=phone, company=company, custom=custom, user_id=user_id)
    for attempt in range(UPSERT_ATTEMPTS):
        try:
            with write_transaction():
                return _upsert_once(org_id, normalized, incoming, source)
        except pw.IntegrityError:
            if attempt == UPSERT_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _upsert_once(org_id: int, email: str, incoming: dict[str, Any], source: str = "") -> Contact:
    query = Contact.select().where((Contact.organization == org_id) & (Contact.email == email))
    contact = locked(query).first()
    if contact is None:
        with db.atomic():  # a savepoint: losing an insert race leaves the outer transaction usable
            contact = Contact.create(
                organization=org_id,
                email=email,
                unsubscribe_token=rules.new_unsubscribe_token(),
                source=source,
                **incoming,
            )
        _changed(contact)
        return contact
    changes = rules.merge(contact, incoming)
    if changes:
        contact.updated_at = utcnow()
        contact.save(only=[*(getattr(Contact, f) for f in changes), Contact.updated_at])
        _changed(contact)
    return contact


def update_contact(
    contact: Contact,
    *,
    name: str,
    phone: str,
    company: str,
    custom: dict[str, Any],
    actor=None,
    actor_label: str | None = None,
) -> dict:
    """An operator's edit: the values given replace the stored ones (empty clears a field)."""
    new = {
        "name": rules.clean_text(name, "name"),
        "phone": rules.clean_text(phone, "phone"),
        "company": rules.clean_text(company, "company"),
        "custom": rules.clean_custom(custom),
    }
    with db.atomic():
        changes = audit.diff(contact, new)
        if not changes:
            return {}
        contact.updated_at = utcnow()
        contact.save()
        record_activity(
            contact, "edited", summary=stored_text("Details edited: %(fields)s", fields=", ".join(sorted(changes)))
        )
        _audit(
            contact,
            "contact.update",
            actor=actor,
            actor_label=actor_label,
            summary=verbatim(contact.email),
            changes=changes,
        )
        _changed(contact)
    return changes


# Timeline ---------------------------------------------------------------------------------------


def record_activity(
    contact: Contact,
    kind: str,
    *,
    occurred_at: dt.datetime | None = None,
    event=None,
    registrant_id: int | None = None,
    summary: StoredText | None = None,
    data: dict | None = None,
    dedupe_key: str | None = None,
) -> Activity | None:
    """Add an entry to the contact's timeline. With a `dedupe_key`, an entry already recorded
    under that key is not added again (returns None)."""
    occurred_at = occurred_at or utcnow()
    with db.atomic():
        if dedupe_key is not None:
            exists = Activity.select(Activity.id).where(
                (Activity.organization == contact.organization_id) & (Activity.dedupe_key == dedupe_key)
            )
            if exists.exists():
                return None
        try:
            with db.atomic():
                activity = Activity.create(
                    organization=contact.organization_id,
                    contact=contact.id,
                    kind=kind[:32],
                    occurred_at=occurred_at,
                    event=getattr(event, "id", event),
                    registrant_id=registrant_id,
                    **stored_columns("summary", summary, 300),
                    data=data or {},
                    dedupe_key=dedupe_key,
                )
        except pw.IntegrityError:
            if dedupe_key is None:
                raise
            return None  # recorded by a concurrent worker
        if kind not in rules.OPERATOR_KINDS:
            last = rules.later(contact.last_activity_at, occurred_at)
            if last != contact.last_activity_at:
                contact.last_activity_at = last
                Contact.update(last_activity_at=last).where(Contact.id == contact.id).execute()
    return activity


# Labels -----------------------------------------------------------------------------------------


def clean_label_name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise ContactError(_("Give the label a name."), "name")
    if len(cleaned) > 80:
        raise ContactError(_("A label name has at most 80 characters."), "name")
    return cleaned


def find_label(org_id: int, name: str) -> Label | None:
    """The organization's label with this name, ignoring case and extra spaces."""
    cleaned = " ".join((name or "").split())
    return Label.for_org(org_id).where(pw.fn.LOWER(Label.name) == cleaned.lower()).first()


def get_or_create_label(org_id: int, name: str) -> Label:
    cleaned = clean_label_name(name)
    label = find_label(org_id, cleaned)
    if label is not None:
        return label
    try:
        with db.atomic():
            return Label.create(organization=org_id, name=cleaned)
    except pw.IntegrityError:
        return find_label(org_id, cleaned)


def add_label(
    contact: Contact, name: str, *, actor=None, actor_label: str | None = None, raising: bool = False
) -> bool:
    """Label the contact (creating the label if needed) and apply the label's stage rule (with
    `raising`, an automatic label's: at least that stage). False when the contact already had it."""
    with write_transaction():
        label = get_or_create_label(contact.organization_id, name)
        try:
            with db.atomic():
                ContactLabel.create(organization=contact.organization_id, contact=contact.id, label=label.id)
        except pw.IntegrityError:
            return False
        record_activity(
            contact,
            "label_added",
            summary=stored_text("Label %(label)s added", label=label.name),
            data={"label": label.name},
        )
        _audit(
            contact,
            "contact.label_add",
            actor=actor,
            actor_label=actor_label,
            summary=stored_text("%(email)s: +%(label)s", email=contact.email, label=label.name),
        )
        stage = rules.raised_stage(contact.stage, label.stage) if raising and label.stage else label.stage
        added = {"labels_added": [label.id]}
        if not (stage and set_stage(contact, stage, source=f"rule:{label.name}", announce=added)):
            _changed(contact, **added)  # set_stage announced it otherwise
    return True


def remove_label(contact: Contact, name: str, *, actor=None, actor_label: str | None = None) -> bool:
    """Take the label off the contact (its stage stays). False when the contact did not have it."""
    with write_transaction():
        label = find_label(contact.organization_id, name)
        if label is None:
            return False
        deleted = (
            ContactLabel.delete()
            .where((ContactLabel.contact == contact.id) & (ContactLabel.label == label.id))
            .execute()
        )
        if not deleted:
            return False
        record_activity(
            contact,
            "label_removed",
            summary=stored_text("Label %(label)s removed", label=label.name),
            data={"label": label.name},
        )
        _audit(
            contact,
            "contact.label_remove",
            actor=actor,
            actor_label=actor_label,
            summary=stored_text("%(email)s: -%(label)s", email=contact.email, label=label.name),
        )
        _changed(contact, labels_removed=[label.id])
    return True


def labels_of(contact: Contact) -> list[Label]:
    return list(
        Label.select().join(ContactLabel).where(ContactLabel.contact == contact.id).order_by(pw.fn.LOWER(Label.name))
    )


# Stage and status -------------------------------------------------------------------------------


def set_stage(
    contact: Contact,
    stage: str,
    *,
    source: str,
    actor=None,
    actor_label: str | None = None,
    announce: dict | None = None,
) -> bool:
    """Move the contact to a funnel stage. `source` says why: "person" (an operator), "rule:<label>",
    "rule:inactivity", "api", "import", "workflow:<id>". False when already there. `announce`: more
    of the change to announce with the stage move (the label whose rule moved it)."""
    if stage not in FUNNEL_STAGES:
        raise ContactError(f"Unknown stage {stage!r}.", "stage")
    source = (source or "person")[:32]
    old = contact.stage
    summary = stored_text(
        "Stage %(old)s → %(new)s (%(source)s)",
        old=stored_label(rules.stage_label(old)),
        new=stored_label(rules.stage_label(stage)),
        source=source,
    )
    return _change(
        contact,
        "stage",
        stage,
        kind="stage_changed",
        summary=summary,
        actor=actor,
        actor_label=actor_label,
        data={"from": old, "to": stage, "source": source},
        also={"stage_source": source},
        announce={**(announce or {}), "stage_changes": [rules.stage_change(old, stage, source)]},
    )


def set_status(
    contact: Contact,
    status: str,
    *,
    actor=None,
    actor_label: str | None = None,
    reason: str | StoredText = "",
    kind: str = "status_changed",
) -> bool:
    """One of CONTACT_STATUSES. False when unchanged."""
    if status not in CONTACT_STATUSES:
        raise ContactError(f"Unknown status {status!r}.", "status")
    old = contact.status
    summary = (
        stored_text(
            "Status %(old)s → %(new)s: %(reason)s", old=stored_label(old), new=stored_label(status), reason=reason
        )
        if reason
        else stored_text("Status %(old)s → %(new)s", old=stored_label(old), new=stored_label(status))
    )
    return _change(
        contact,
        "status",
        status,
        kind=kind,
        summary=summary,
        actor=actor,
        actor_label=actor_label,
        data={"from": old, "to": status},
        also=_subscription_change(status),
    )


def _subscription_change(status: str) -> dict[str, Any]:
    """Becoming active is (re)subscribing; pending is a subscription not agreed yet. Leaving
    (unsubscribed, bounced, complained) keeps the date the person last subscribed."""
    if status == "active":
        return {"subscribed_at": utcnow()}
    if status == "pending":
        return {"subscribed_at": None}
    return {}


def _change(
    contact: Contact, field: str, new: str, *, kind, summary, actor, actor_label, data, also=None, announce=None
) -> bool:
    """Set one lifecycle field, with its timeline entry, audit entry and signal."""
    old = getattr(contact, field)
    if old == new:
        return False
    values = {field: new, **(also or {}), "updated_at": utcnow()}
    with db.atomic():
        for name, value in values.items():
            setattr(contact, name, value)
        contact.save(only=[getattr(Contact, name) for name in values])
        record_activity(contact, kind, summary=summary, data=data)
        _audit(
            contact,
            f"contact.{field}",
            actor=actor,
            actor_label=actor_label,
            summary=stored_text("%(email)s: %(old)s → %(new)s", email=contact.email, old=old, new=new),
            changes={field: [old, new]},
        )
        _changed(contact, **(announce or {}))
    return True


def unsubscribe(contact: Contact, *, via: str = "link") -> bool:
    """The person asked for no more announcements (the public link or a mail client's one-click)."""
    return set_status(
        contact, "unsubscribed", reason=stored_text("by the person (%(via)s)", via=via), kind="unsubscribed"
    )


def unsubscribe_url(contact: Contact) -> str:
    """The absolute link for an email's footer and its List-Unsubscribe header."""
    return f"{settings().base_url}/u/{contact.unsubscribe_token}"


def unsubscribe_url_for_email(org_id: int, email: str) -> str | None:
    """unsubscribe_url of the organization's contact with this email (None if there is none)."""
    contact = Contact.get_or_none((Contact.organization == org_id) & (Contact.email == normalize_email(email)))
    return unsubscribe_url(contact) if contact else None


def is_unsubscribed(org_id: int, email: str) -> bool:
    """True when the person unsubscribed, complained, has not confirmed their subscription, or their
    address bounced: send them transactional mail (tickets) only, never announcements or reminders."""
    status = (
        Contact.select(Contact.status)
        .where((Contact.organization == org_id) & (Contact.email == normalize_email(email)))
        .scalar()
    )
    return status in NO_PROMOTIONAL_MAIL


def mark_bounced(org_id: int, email: str, *, reason: str | StoredText = "") -> bool:
    """The mail server refused this address for good."""
    contact = Contact.get_or_none((Contact.organization == org_id) & (Contact.email == normalize_email(email)))
    return bool(contact) and set_status(contact, "bounced", reason=reason)
