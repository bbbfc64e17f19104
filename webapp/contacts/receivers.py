"""What the Contact Book does when something happens below it: record the work (receivers run in a
worker, after the producer's commit; the task layer imports this module to connect them)."""

from __future__ import annotations

from webapp import signals, work

DEFAULT_LABELS = "contacts.default_labels"  # {"organization_id"} -> its automatic labels and rules


@signals.organization_created.connect
def _organization_created(sender, organization_id: int, **kwargs) -> None:
    work.record(DEFAULT_LABELS, {"organization_id": organization_id})
