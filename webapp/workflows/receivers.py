"""Signals of the lower domains → workflow runs (connected by the task layer, which imports this
module): a contact's change and the tracked events on contact timelines start the workflows they
trigger, in the transaction that delivers the signal."""

from __future__ import annotations

from webapp import signals
from webapp.workflows import triggers


def workflows_on_contact_updated(
    sender, contact_id: int, stage_changes=(), labels_added=(), labels_removed=(), **kwargs
):
    triggers.contact_changed(
        contact_id, stage_changes=stage_changes, labels_added=labels_added, labels_removed=labels_removed
    )


def workflows_on_tracked_events(sender, org_id: int, ids=(), **kwargs):
    triggers.events_tracked(org_id, list(ids))


signals.contact_updated.connect(workflows_on_contact_updated, weak=False)
signals.tracked_events_processed.connect(workflows_on_tracked_events, weak=False)
