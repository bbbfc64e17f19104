"""Domain signals → outgoing webhooks (connected by the task layer, which imports this module). A receiver records the fan-out work, and only when some
endpoint listens to that topic at all."""

from __future__ import annotations

from webapp import signals, work
from webapp.api import webhooks


def _on(topic: str, id_name: str):
    def receiver(sender, **kwargs):
        if topic in webhooks.subscribed_topics():
            # Urgent, unless the signal came from bulk work (an import's thousands of contacts).
            work.record(webhooks.FAN_OUT, {"topic": topic, "object_id": kwargs[id_name]})

    receiver.__name__ = f"webhook_{topic.replace('.', '_')}"
    return receiver


# weak=False: the receivers are made here and would otherwise be garbage-collected.
signals.registration_created.connect(_on("registration.created", "order_id"), weak=False)
signals.order_paid.connect(_on("order.paid", "order_id"), weak=False)
signals.checked_in.connect(_on("checkin.created", "checkin_id"), weak=False)
signals.contact_updated.connect(_on("contact.updated", "contact_id"), weak=False)


def webhook_contact_stage_changed(sender, contact_id: int, stage_changes=(), **kwargs):
    """Each stage move the contact change made: one contact.stage_changed message."""
    if stage_changes and "contact.stage_changed" in webhooks.subscribed_topics():
        for change in stage_changes:
            work.record(webhooks.FAN_OUT, {"topic": "contact.stage_changed", "object_id": contact_id, "change": change})


signals.contact_updated.connect(webhook_contact_stage_changed, weak=False)


def webhook_workflow_step(sender, run_id: int, step: int, **kwargs):
    """A run reached a webhook step: one workflow.step message to each subscribed endpoint."""
    if "workflow.step" in webhooks.subscribed_topics():
        work.record(webhooks.FAN_OUT, {"topic": "workflow.step", "object_id": run_id, "change": {"step": step}})


signals.workflow_webhook.connect(webhook_workflow_step, weak=False)
