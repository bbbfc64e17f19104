"""Label management: labels with their funnel-stage rules, and the labels an event adds to its
registrants' contacts."""

from __future__ import annotations

import re

import peewee as pw

from webapp.accounts import audit
from webapp.contacts import batch as contact_batch
from webapp.contacts.models import FUNNEL_STAGES, Contact, ContactLabel, EventLabel, Label
from webapp.contacts.service import ContactError, clean_label_name, find_label
from webapp.db import db, write_transaction
from webapp.events.models import Event
from webapp.i18n import _, stored_text, verbatim

COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def labels_with_counts(org_id: int) -> list[tuple[Label, int]]:
    count = pw.fn.COUNT(ContactLabel.id)
    query = (
        Label.select(Label, count.alias("contacts"))
        .join(ContactLabel, pw.JOIN.LEFT_OUTER, on=(ContactLabel.label == Label.id))
        .where(Label.organization == org_id)
        .group_by(Label.id)
        .order_by(pw.fn.LOWER(Label.name))
    )
    return [(label, label.contacts) for label in query]


def _check(org_id: int, name: str, color: str, stage: str | None, label: Label | None = None) -> str:
    cleaned = clean_label_name(name)
    same = find_label(org_id, cleaned)
    if same is not None and (label is None or same.id != label.id):
        raise ContactError(f"A label named {same.name} exists already.", "name")
    if not COLOR.match(color or ""):
        raise ContactError(_("Pick a colour such as #1d4ed8."), "color")
    if stage and stage not in FUNNEL_STAGES:
        raise ContactError(_("Choose a stage from the list."), "stage")
    return cleaned


def create_label(org_id: int, name: str, *, color: str = "#64748b", stage: str | None = None, actor=None) -> Label:
    with db.atomic():
        cleaned = _check(org_id, name, color, stage)
        label = Label.create(organization=org_id, name=cleaned, color=color.lower(), stage=stage or None)
        audit.record(org_id, "label.create", user=actor, target=label, summary=verbatim(cleaned))
    return label


def update_label(label: Label, *, name: str, color: str, stage: str | None, actor=None) -> dict:
    """Rename, recolour or change the stage rule (it applies to contacts labelled from now on;
    `apply_stage_rule` applies it to those who have the label already)."""
    with db.atomic():
        cleaned = _check(label.organization_id, name, color, stage, label)
        changes = audit.diff(label, {"name": cleaned, "color": color.lower(), "stage": stage or None})
        if changes:
            label.save()
            audit.record(
                label.organization_id,
                "label.update",
                user=actor,
                target=label,
                summary=verbatim(label.name),
                changes=changes,
            )
    return changes


def delete_label(label: Label, *, actor=None) -> int:
    """Delete the label; contacts lose it (their stage stays). Returns how many had it."""
    with db.atomic():
        count = ContactLabel.select().where(ContactLabel.label == label.id).count()
        audit.record(
            label.organization_id,
            "label.delete",
            user=actor,
            target=label,
            summary=stored_text("%(label)s (%(count)s contacts)", label=label.name, count=count),
        )
        label.delete_instance(recursive=False)
    return count


def apply_stage_rule(label: Label, *, actor=None) -> int:
    """Set the label's stage on every contact that has the label now. Returns how many moved."""
    if not label.stage:
        return 0
    moved, after = 0, 0
    while True:
        with write_transaction():
            contacts = list(
                Contact.select()
                .join(ContactLabel, on=(ContactLabel.contact == Contact.id))
                .where((ContactLabel.label == label.id) & (Contact.stage != label.stage) & (Contact.id > after))
                .order_by(Contact.id)
                .limit(contact_batch.CHUNK)
            )
            if not contacts:
                break
            batch = contact_batch.new_batch(label.organization_id, contacts)
            for contact in contacts:
                contact_batch.move_stage(batch, contact, label.stage, f"rule:{label.name}")
            contact_batch.finish(batch)
        after = contacts[-1].id
        moved += len(contacts)
    if moved:
        audit.record(
            label.organization_id,
            "label.apply_stage",
            user=actor,
            target=label,
            summary=stored_text(
                "%(label)s: %(moved)s contacts moved to %(stage)s", label=label.name, moved=moved, stage=label.stage
            ),
        )
    return moved


# Event labels -----------------------------------------------------------------------------------


def event_labels(event: Event) -> list[EventLabel]:
    return list(
        EventLabel.select(EventLabel, Label)
        .join(Label)
        .where(EventLabel.event == event.id)
        .order_by(pw.fn.LOWER(Label.name))
    )


def remove_event_label(event_label: EventLabel, *, actor=None) -> None:
    """The event stops labelling new registrants; contacts labelled already keep the label."""
    with db.atomic():
        audit.record(
            event_label.organization_id,
            "event.label_remove",
            user=actor,
            target=event_label.event,
            summary=stored_text("%(event)s: -%(label)s", event=event_label.event.name, label=event_label.label.name),
        )
        event_label.delete_instance()
