"""Domain signals → outgoing webhooks. A receiver only enqueues the fan-out task, and only when
some endpoint listens to that topic at all."""

from __future__ import annotations

from webapp import signals


def _on(topic: str, id_name: str):
    def receiver(sender, **kwargs):
        from webapp.api import webhooks

        if topic not in webhooks.subscribed_topics():
            return
        from tasks.api import fan_out_webhook

        fan_out_webhook(topic, kwargs[id_name])

    receiver.__name__ = f"webhook_{topic.replace('.', '_')}"
    return receiver


# weak=False: the receivers are made here and would otherwise be garbage-collected.
signals.registration_created.connect(_on("registration.created", "order_id"), weak=False)
signals.order_paid.connect(_on("order.paid", "order_id"), weak=False)
signals.checked_in.connect(_on("checkin.created", "checkin_id"), weak=False)
signals.contact_updated.connect(_on("contact.updated", "contact_id"), weak=False)
