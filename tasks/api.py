"""API work: outgoing webhooks, and the upkeep of idempotency records and rate-limit windows."""

from __future__ import annotations

from huey import crontab

import webapp.api.receivers  # noqa: F401  (connects the webhook receivers to the domain signals)
from tasks import huey
from webapp import work
from webapp.api import idempotency, payloads, ratelimit, webhooks


@work.handles(webhooks.FAN_OUT)
def fan_out_webhook(payload: dict) -> int:
    """Write one delivery per subscribed endpoint of the object's organization."""
    found = payloads.payload_for(payload["topic"], payload["object_id"], payload.get("change"))
    if found is None:
        return 0
    org_id, data = found
    return len(webhooks.enqueue(org_id, payload["topic"], data))


@work.handles(webhooks.DELIVER)
def deliver_webhook(payload: dict) -> str:
    return webhooks.deliver(payload["delivery_id"])


@huey.periodic_task(crontab(minute="*/15"))
def prune_api_records() -> int:
    return idempotency.prune() + ratelimit.prune()
