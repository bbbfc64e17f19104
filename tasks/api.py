"""API tasks: outgoing webhooks, and the upkeep of idempotency records and rate-limit windows."""

from __future__ import annotations

from huey import crontab

from tasks import huey
from tasks.base import with_db


@huey.task()
@with_db
def fan_out_webhook(topic: str, object_id: int) -> int:
    """Write one delivery per subscribed endpoint of the object's organization."""
    from webapp.api import payloads, webhooks

    found = payloads.payload_for(topic, object_id)
    if found is None:
        return 0
    org_id, data = found
    return len(webhooks.enqueue(org_id, topic, data))


@huey.task()
@with_db
def deliver_webhook(delivery_id: int) -> str:
    from webapp.api import webhooks

    return webhooks.deliver(delivery_id)


@huey.periodic_task(crontab(minute="*"))
@with_db
def retry_webhooks() -> int:
    """Every minute: try due deliveries again (a safety net under the scheduled retries)."""
    from webapp.api import webhooks

    ids = webhooks.due_deliveries()
    for delivery_id in ids:
        webhooks.deliver(delivery_id)
    return len(ids)


@huey.periodic_task(crontab(minute="*/15"))
@with_db
def prune_api_records() -> int:
    from webapp.api import idempotency, ratelimit

    return idempotency.prune() + ratelimit.prune()
