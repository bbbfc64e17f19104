"""Tag rules over a batch of incoming events: each event's matching rules, in event order, with
the effect add_label / remove_label would have one event at a time.

A rule that would change nothing (adding a label the contact carries, removing one it does not)
is skipped, as those functions would leave everything as it is. The labels that contacts gain
are added in bulk through the Contact Book's own bulk path (`batch.apply_labels`: the same
label_added entry, stage rule and contact_updated signal as add_label); a contact that also loses
a label in the batch goes rule by rule through add_label / remove_label, in event order.
"""

from __future__ import annotations

import logging
from typing import Protocol

from webapp.contacts import batch as contact_batch
from webapp.contacts import service as contacts
from webapp.contacts.ingest_models import TagRule
from webapp.contacts.models import Contact
from webapp.db import db

log = logging.getLogger("rollcall.ingest")

IN_CHUNK = 500


class _Event(Protocol):
    id: int
    organization_id: int
    type: str
    properties: dict


def apply(
    rows: list[_Event], contact_ids: dict[int, int], matching: dict[int, list[TagRule]], carried: dict[int, set]
) -> dict[int, str]:
    """Apply the rules each of these events matches (`matching`, by row id; every event has a
    contact), given the label ids their contacts carry (`carried`, by contact id; read in the
    same transaction). {row id: error} of those that failed."""
    matched = [(row, matching[row.id]) for row in rows if matching.get(row.id)]
    if not matched:
        return {}
    carried = {contact_id: set(labels) for contact_id, labels in carried.items()}
    names = _LabelIds()
    effective: list[tuple[_Event, list[TagRule]]] = []
    losing: set[int] = set()  # contacts that lose a label in this batch
    for row, rules in matched:
        contact_id = contact_ids[row.id]
        labels = carried.setdefault(contact_id, set())  # as they are after each rule
        changes = []
        for rule in rules:
            label = names.get(row.organization_id, rule.label) or _key(row.organization_id, rule.label)
            if rule.action == "add" and label not in labels:
                changes.append(rule)
                labels.add(label)
            elif rule.action == "remove" and label in labels:
                changes.append(rule)
                labels.discard(label)
                losing.add(contact_id)
        if changes:
            effective.append((row, changes))
    # In bulk, the labels of a contact are added in label order, not event order: that can only
    # matter for a contact gaining two labels (their stage rules), which goes one by one too.
    gained: dict[int, set] = {}
    for row, changes in effective:
        gained.setdefault(contact_ids[row.id], set()).update(_key(row.organization_id, r.label) for r in changes)
    one_by_one = losing | {contact_id for contact_id, labels in gained.items() if len(labels) > 1}
    errors: dict[int, str] = {}
    gains = [(row, changes) for row, changes in effective if contact_ids[row.id] not in one_by_one]
    _add_in_bulk(gains, contact_ids, errors)
    for row, changes in effective:
        if contact_ids[row.id] in one_by_one:
            error = _one_by_one(contact_ids[row.id], changes)
            if error:
                errors[row.id] = error
    return errors


class _LabelIds:
    """Label ids by (organization, name) as add_label finds them (None: no such label yet)."""

    def __init__(self):
        self.known: dict[tuple[int, str], int | None] = {}

    def get(self, org_id: int, name: str) -> int | None:
        if (org_id, name) not in self.known:
            label = contacts.find_label(org_id, name)
            self.known[(org_id, name)] = label.id if label is not None else None
        return self.known[(org_id, name)]


def _key(org_id: int, name: str) -> tuple[int, str]:
    """A label by name, as find_label compares names (case and extra spaces aside)."""
    return org_id, " ".join(name.split()).lower()


def _add_in_bulk(
    gains: list[tuple[_Event, list[TagRule]]], contact_ids: dict[int, int], errors: dict[int, str]
) -> None:
    """Labels that contacts gain (every rule here is an add), per organization in one bulk step."""
    pairs: dict[int, set[tuple[int, int]]] = {}
    labels: dict[tuple[int, str], int | str] = {}  # label id, or why it cannot be made
    for row, changes in gains:
        org_id = row.organization_id
        wanted = []
        for rule in changes:
            if (org_id, rule.label) not in labels:
                labels[(org_id, rule.label)] = _label_for(org_id, rule.label)
            wanted.append(labels[(org_id, rule.label)])
        failed = [label for label in wanted if isinstance(label, str)]
        if failed:
            errors[row.id] = failed[0]
            continue
        pairs.setdefault(org_id, set()).update((contact_ids[row.id], label) for label in wanted)
    for org_id, org_pairs in pairs.items():
        ids = sorted({contact_id for contact_id, _ in org_pairs})
        found = []
        for start in range(0, len(ids), IN_CHUNK):
            found.extend(Contact.select().where(Contact.id.in_(ids[start : start + IN_CHUNK])))
        batch = contact_batch.new_batch(org_id, found)
        contact_batch.apply_labels(batch, org_pairs)
        contact_batch.finish(batch)


def _label_for(org_id: int, name: str) -> int | str:
    """The label's id (made if new, as add_label makes it), or the error of an event needing it."""
    try:
        with db.atomic():
            return contacts.get_or_create_label(org_id, name).id
    except contacts.ContactError as exc:
        return f"Tag rule could not apply: {exc}"


def _one_by_one(contact_id: int, rules: list[TagRule]) -> str | None:
    try:
        with db.atomic():
            contact = Contact.get_by_id(contact_id)
            for rule in rules:
                if rule.action == "add":
                    contacts.add_label(contact, rule.label)
                else:
                    contacts.remove_label(contact, rule.label)
    except contacts.ContactError as exc:
        return f"Tag rule could not apply: {exc}"
    except Exception as exc:  # noqa: BLE001
        log.exception("tag rules failed for contact %s", contact_id)
        return f"Internal error while applying tag rules ({type(exc).__name__}); it will not be retried."
    return None
