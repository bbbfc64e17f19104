"""Changing many contacts at once: a batch collects the contacts it changed, their new stages and
the timeline entries, and `finish` saves them in bulk and announces each changed contact. Used by
the registrant sync, labels, ingestion and the inactivity rule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from webapp import signals
from webapp.contacts import bulk, rules
from webapp.contacts.models import Activity, Contact, ContactLabel, Label
from webapp.db import utcnow
from webapp.i18n import stored_columns, stored_label, stored_text

CHUNK = 500  # contacts per transaction: a few hundred bound parameters per bulk statement


@dataclass
class Batch:
    org_id: int
    activities: list[dict] = field(default_factory=list)
    dirty: set[int] = field(default_factory=set)
    created: set[int] = field(default_factory=set)
    contacts: dict[int, Contact] = field(default_factory=dict)
    stage_changes: dict[int, list[dict]] = field(default_factory=dict)  # announced by finish
    labels_added: dict[int, list[int]] = field(default_factory=dict)  # announced by finish


def activity(org_id: int, contact_id: int, kind: str, **values) -> dict:
    row = {
        "organization": org_id,
        "contact": contact_id,
        "kind": kind,
        "occurred_at": values.get("occurred_at") or utcnow(),
        "event": values.get("event"),
        "registrant_id": values.get("registrant_id"),
        **stored_columns("summary", values.get("summary"), 300),
        "data": values.get("data") or {},
        "dedupe_key": values.get("dedupe_key"),
        "created_at": utcnow(),
    }
    return row


def move_stage(batch: Batch, contact: Contact, stage: str, source: str) -> None:
    """Change a contact's stage inside a batch (saved and logged by finish)."""
    if contact.stage == stage:
        return
    old = contact.stage
    contact.stage, contact.stage_source = stage, source[:32]
    batch.dirty.add(contact.id)
    batch.stage_changes.setdefault(contact.id, []).append(rules.stage_change(old, stage, source))
    batch.activities.append(
        activity(
            batch.org_id,
            contact.id,
            "stage_changed",
            summary=stored_text(
                "Stage %(old)s → %(new)s (%(source)s)",
                old=stored_label(rules.stage_label(old)),
                new=stored_label(rules.stage_label(stage)),
                source=source,
            ),
            data={"from": old, "to": stage, "source": source},
        )
    )


def apply_labels(batch: Batch, pairs: set[tuple[int, int]], *, raising: bool = False) -> None:
    """Add labels to contacts in bulk (pairs of contact id, label id; contacts loaded in the batch),
    logging each new one and applying the label's stage rule: that stage, or with `raising` (the
    automatic labels of webapp/contacts/funnel.py) at least that stage."""
    if not pairs:
        return
    contact_ids = list({cid for cid, _ in pairs})
    label_ids = list({lid for _, lid in pairs})
    have = {
        (row.contact_id, row.label_id)
        for row in ContactLabel.select(ContactLabel.contact, ContactLabel.label).where(
            ContactLabel.contact.in_(contact_ids) & ContactLabel.label.in_(label_ids)
        )
    }
    new = sorted(pairs - have)
    if not new:
        return
    labels = {label.id: label for label in Label.select().where(Label.id.in_(label_ids))}
    now = utcnow()
    bulk.insert_ignore(
        ContactLabel,
        [{"organization": batch.org_id, "contact": cid, "label": lid, "created_at": now} for cid, lid in new],
    )
    for cid, lid in new:
        label = labels[lid]
        batch.dirty.add(cid)
        batch.labels_added.setdefault(cid, []).append(lid)
        batch.activities.append(
            activity(
                batch.org_id,
                cid,
                "label_added",
                summary=stored_text("Label %(label)s added", label=label.name),
                data={"label": label.name},
            )
        )
        contact = batch.contacts[cid]
        stage = rules.raised_stage(contact.stage, label.stage) if raising and label.stage else label.stage
        if stage:
            move_stage(batch, contact, stage, f"rule:{label.name}")


def finish(batch: Batch) -> None:
    now = utcnow()
    for contact_id in batch.dirty - batch.created:
        batch.contacts[contact_id].updated_at = now
    bulk.save_contacts([batch.contacts[cid] for cid in sorted(batch.dirty)])
    bulk.insert_ignore(Activity, batch.activities)
    for contact_id in sorted(batch.dirty | batch.created):
        announce = {}
        if batch.stage_changes.get(contact_id):
            announce["stage_changes"] = batch.stage_changes[contact_id]
        if batch.labels_added.get(contact_id):
            announce["labels_added"] = batch.labels_added[contact_id]
        signals.emit(signals.contact_updated, contact_id=contact_id, **announce)


def new_batch(org_id: int, contacts: Iterable[Contact]) -> Batch:
    batch = Batch(org_id)
    batch.contacts = {c.id: c for c in contacts}
    return batch
