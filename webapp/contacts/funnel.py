"""The funnel's default rules, as an organization sees and changes them.

A stage changes only by a person (console, API, import), by a label rule (a label with a stage
moves the contacts that get it) or by inactivity (lost). What a person does at an event does not
move stages by itself: it adds a label, and the label's rule does the rest. Each organization has
one automatic label per moment (AutoLabel):

    registering for an event        -> "registered"    (rule: Engaged)
    a paid order (total above zero) -> "paid"          (rule: Customer)
    checking in at the door         -> "attended"      (rule: Engaged)
    paid orders for two events      -> "repeat buyer"  (rule: Loyal customer)

An automatic label raises the stage to at least its rule's stage, so attending never moves a
customer back to Engaged, and a stage a person set higher stays. The organization can point a
moment at another label, change a label's rule (or clear it), or switch the labelling off.
"""

from __future__ import annotations

import peewee as pw

from webapp.accounts import audit
from webapp.contacts.models import AUTO_LABEL_TRIGGERS, AutoLabel, Label
from webapp.contacts.service import ContactError, find_label
from webapp.db import db
from webapp.i18n import _, stored_label

# trigger: (label name, colour, stage rule), as migration 0542 made them for existing organizations
DEFAULTS = {
    "registered": ("registered", "#0ea5e9", "engaged"),
    "paid": ("paid", "#16a34a", "customer"),
    "attended": ("attended", "#7c3aed", "engaged"),
    "repeat_buyer": ("repeat buyer", "#b45309", "loyal_customer"),
}
assert tuple(DEFAULTS) == AUTO_LABEL_TRIGGERS


def ensure_defaults(org_id: int) -> None:
    """Give the organization its automatic labels (once: what it changed afterwards stays)."""
    if AutoLabel.select().where(AutoLabel.organization == org_id).exists():
        return
    try:
        with db.atomic():
            for trigger, (name, color, stage) in DEFAULTS.items():
                label = find_label(org_id, name) or Label.create(
                    organization=org_id, name=name, color=color, stage=stage
                )
                AutoLabel.create(organization=org_id, trigger=trigger, label=label.id)
    except pw.IntegrityError:
        pass  # made by a concurrent call at the same moment


def auto_labels(org_id: int) -> dict[str, Label]:
    """{trigger: label} of the moments that label contacts (switched on, with a label)."""
    ensure_defaults(org_id)
    query = (
        AutoLabel.select(AutoLabel, Label)
        .join(Label, on=(AutoLabel.label == Label.id))
        .where((AutoLabel.organization == org_id) & (AutoLabel.active == True))  # noqa: E712
    )
    return {row.trigger: row.label for row in query}


def settings_of(org_id: int) -> list[AutoLabel]:
    """Every moment with its label (or none) and whether it is on, in the order of DEFAULTS."""
    ensure_defaults(org_id)
    rows = {row.trigger: row for row in AutoLabel.select().where(AutoLabel.organization == org_id)}
    return [rows[t] for t in AUTO_LABEL_TRIGGERS if t in rows]


def update(org_id: int, trigger: str, *, label_id: int | None, active: bool, actor=None) -> AutoLabel:
    """Point a moment at one of the organization's labels, or switch it on or off."""
    if trigger not in AUTO_LABEL_TRIGGERS:
        raise ContactError(_("Choose the label to add, or switch it off."), "trigger")
    ensure_defaults(org_id)
    label = Label.get_or_none((Label.id == label_id) & (Label.organization == org_id)) if label_id else None
    if label_id and label is None:
        raise ContactError(_("Choose one of your labels."), "label")
    if active and label is None:
        raise ContactError(_("Choose the label to add, or switch it off."), "label")
    with db.atomic():
        row = AutoLabel.get((AutoLabel.organization == org_id) & (AutoLabel.trigger == trigger))
        changes = audit.diff(row, {"label_id": label.id if label else None, "active": active})
        if changes:
            row.save()
            audit.record(
                org_id, "contacts.auto_label", user=actor, target=row, summary=stored_label(trigger), changes=changes
            )
    return row
