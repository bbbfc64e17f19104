"""Outgoing webhooks: an organization's endpoints receive registration.created, order.paid,
checkin.created, contact.updated and contact.stage_changed (the contact, and the change: from, to,
source — "person", "api", "import", "rule:<label>", "rule:inactivity") as signed JSON POSTs.

Each message to each endpoint is a WebhookDelivery row first (written by a worker after the domain
change committed), then POSTed by the work engine (work kind DELIVER). Every try is logged (status code, error, duration); a
failed try is retried with growing delays, up to MAX_ATTEMPTS, then the delivery is "failed".

Signature (as Stripe's): header `Rollcall-Signature: t=<unix time>,v1=<hex>` where v1 is
HMAC-SHA256(endpoint secret, "<t>.<raw body>"). Receivers should check it with `verify()`'s rules:
recompute over the raw bytes, compare in constant time, refuse a t older than 5 minutes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlsplit

from webapp import work
from webapp.accounts import audit
from webapp.api.models import WEBHOOK_TOPICS, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webapp.db import db, utcnow
from webapp.i18n import _, stored_text, verbatim
from webapp.runtime import settings

log = logging.getLogger("rollcall.webhooks")

SIGNATURE_HEADER = "Rollcall-Signature"
TOLERANCE = 300
TIMEOUT = 10
MAX_ATTEMPTS = 8
BACKOFF = (60, 300, 1800, 7200, 21600, 43200, 86400)  # seconds before try 2, 3, ...
SUBSCRIPTION_CACHE_SECONDS = 5.0
FAN_OUT = "webhook.fan_out"  # work: {"topic", "object_id"} -> one delivery per subscribed endpoint
DELIVER = "webhook.deliver"  # work: {"delivery_id"} -> one try


class WebhookError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# Signing ------------------------------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = TOLERANCE, now: float | None = None) -> bool:
    """What a receiver does: a v1 matching the raw body, signed less than `tolerance` s ago."""
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in parts if k.strip() == "t"]
    if not stamps or not stamps[0].isdigit():
        return False
    timestamp = int(stamps[0])
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(expected, v.strip()) for k, v in parts if k.strip() == "v1")


# Endpoints ----------------------------------------------------------------------------------------


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def clean_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 500:
        raise WebhookError(_("Enter an http(s) URL such as https://example.org/hooks/rollcall."), "url")
    if settings().env == "production" and parts.scheme != "https":
        raise WebhookError(_("Use an https:// URL: deliveries carry personal data."), "url")
    return url


def clean_topics(topics) -> list[str]:
    chosen = [t for t in WEBHOOK_TOPICS if t in set(topics or ())]
    if not chosen:
        raise WebhookError(_("Choose at least one event to send."), "topics")
    return chosen


def create_endpoint(org_id: int, *, url: str, topics, description: str = "", actor=None) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (shown to the operator this once)."""
    secret = new_secret()
    with db.atomic():
        endpoint = WebhookEndpoint.create(
            organization=org_id,
            url=clean_url(url),
            topics=clean_topics(topics),
            description=(description or "").strip()[:200],
            secret=secret,
            created_by=actor,
        )
        audit.record(
            org_id,
            "webhook.create",
            user=actor,
            target=endpoint,
            summary=stored_text("webhook %(url)s", url=endpoint.url),
        )
    forget_subscriptions()
    return endpoint, secret


def update_endpoint(endpoint: WebhookEndpoint, *, url: str, topics, description: str, active: bool, actor=None) -> dict:
    fields = {
        "url": clean_url(url),
        "topics": clean_topics(topics),
        "description": (description or "").strip()[:200],
        "active": bool(active),
    }
    with db.atomic():
        changes = audit.diff(endpoint, fields)
        if changes:
            endpoint.save()
            audit.record(
                endpoint.organization_id,
                "webhook.update",
                user=actor,
                target=endpoint,
                summary=stored_text("webhook %(url)s", url=endpoint.url),
                changes=changes,
            )
    forget_subscriptions()
    return changes


def rotate_secret(endpoint: WebhookEndpoint, *, actor=None) -> str:
    secret = new_secret()
    with db.atomic():
        endpoint.secret = secret
        endpoint.save(only=[WebhookEndpoint.secret])
        audit.record(
            endpoint.organization_id,
            "webhook.rotate_secret",
            user=actor,
            target=endpoint,
            summary=verbatim(endpoint.url),
        )
    return secret


def delete_endpoint(endpoint: WebhookEndpoint, *, actor=None) -> None:
    with db.atomic():
        audit.record(
            endpoint.organization_id, "webhook.delete", user=actor, target=endpoint, summary=verbatim(endpoint.url)
        )
        endpoint.delete_instance()
    forget_subscriptions()


_subscriptions: dict = {"at": 0.0, "topics": frozenset()}


def subscribed_topics() -> frozenset[str]:
    """Topics some active endpoint (of any organization) wants; cached for a few seconds so that
    signals fired by bulk work (ingestion, imports) cost nothing when nobody listens."""
    if time.monotonic() - _subscriptions["at"] > SUBSCRIPTION_CACHE_SECONDS:
        topics: set[str] = set()
        for (value,) in WebhookEndpoint.select(WebhookEndpoint.topics).where(WebhookEndpoint.active == True).tuples():  # noqa: E712
            topics.update(json.loads(value) if isinstance(value, str) else value)
        _subscriptions.update(at=time.monotonic(), topics=frozenset(topics))
    return _subscriptions["topics"]


def forget_subscriptions() -> None:
    _subscriptions["at"] = 0.0


# Fan-out and delivery -------------------------------------------------------------------------------


def enqueue(org_id: int, topic: str, data: dict) -> list[int]:
    """A delivery per active endpoint of the organization subscribed to `topic`; each is sent by a
    task after the commit. Returns the delivery ids."""
    assert topic in WEBHOOK_TOPICS, topic
    endpoints = [
        e
        for e in WebhookEndpoint.for_org(org_id).where(WebhookEndpoint.active == True)  # noqa: E712
        if topic in e.topics
    ]
    ids = []
    with db.atomic():
        for endpoint in endpoints:
            message_id = f"msg_{uuid.uuid4().hex}"
            delivery = WebhookDelivery.create(
                organization=org_id,
                endpoint=endpoint,
                message_id=message_id,
                topic=topic,
                payload={"id": message_id, "type": topic, "created_at": utcnow().isoformat() + "Z", "data": data},
            )
            ids.append(delivery.id)
            _enqueue_delivery(delivery.id)
    return ids


def _enqueue_delivery(delivery_id: int, delay: int | None = None) -> None:
    work.record(DELIVER, {"delivery_id": delivery_id}, delay=dt.timedelta(seconds=delay) if delay else None)


def deliver(delivery_id: int) -> str:
    """One try of one delivery, if it is pending and due. Returns its state afterwards."""
    now = utcnow()
    claimed = (
        WebhookDelivery.update(attempts=WebhookDelivery.attempts + 1, next_attempt_at=now + dt.timedelta(minutes=10))
        .where(
            (WebhookDelivery.id == delivery_id)
            & (WebhookDelivery.state == "pending")
            & (WebhookDelivery.next_attempt_at <= now)
        )
        .execute()
    )
    if not claimed:
        return "skipped"
    delivery = WebhookDelivery.get_by_id(delivery_id)
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    status, error, excerpt, took = _post(endpoint, body, delivery.message_id)
    WebhookAttempt.create(
        organization=delivery.organization_id,
        delivery=delivery,
        status_code=status,
        error=error,
        response_excerpt=excerpt[:500],
        duration_ms=took,
    )
    if status is not None and 200 <= status < 300:
        WebhookDelivery.update(state="succeeded", last_status=status, last_error=None, delivered_at=utcnow()).where(
            WebhookDelivery.id == delivery.id
        ).execute()
        return "succeeded"
    last_error = error or f"HTTP {status}"
    if delivery.attempts >= MAX_ATTEMPTS or not endpoint.active:
        WebhookDelivery.update(state="failed", last_status=status, last_error=last_error).where(
            WebhookDelivery.id == delivery.id
        ).execute()
        log.warning("webhook delivery %s failed for good: %s", delivery.id, last_error)
        return "failed"
    delay = BACKOFF[min(delivery.attempts - 1, len(BACKOFF) - 1)]
    WebhookDelivery.update(
        last_status=status, last_error=last_error, next_attempt_at=utcnow() + dt.timedelta(seconds=delay)
    ).where(WebhookDelivery.id == delivery.id).execute()
    _enqueue_delivery(delivery.id, delay=delay)
    return "pending"


def _post(endpoint: WebhookEndpoint, body: bytes, message_id: str) -> tuple[int | None, str | None, str, int]:
    started = time.monotonic()
    try:
        _refuse_internal(endpoint.url)
        request = urllib.request.Request(
            endpoint.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "Rollcall-Webhooks/1",
                "Rollcall-Webhook-Id": message_id,
                SIGNATURE_HEADER: signature_header(endpoint.secret, body),
            },
        )
        with _opener().open(request, timeout=TIMEOUT) as response:
            excerpt = response.read(500).decode("utf-8", "replace")
            return response.status, None, excerpt, _ms(started)
    except urllib.error.HTTPError as exc:
        excerpt = exc.read(500).decode("utf-8", "replace") if exc.fp else ""
        return exc.code, None, excerpt, _ms(started)
    except (OSError, ValueError, WebhookError) as exc:  # refused, timed out, DNS, TLS, internal target
        return None, f"{type(exc).__name__}: {exc}"[:1000], "", _ms(started)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer (3xx, not delivered), never followed


def _opener():
    return urllib.request.build_opener(_NoRedirect)


def _refuse_internal(url: str) -> None:
    """In production, never POST to loopback, private or link-local addresses (no reaching into
    our own network through an organization's webhook URL)."""
    if settings().env != "production":
        return
    host = urlsplit(url).hostname or ""
    for info in socket.getaddrinfo(host, None):
        address = ipaddress.ip_address(info[4][0])
        if address.is_private or address.is_loopback or address.is_link_local or address.is_reserved:
            raise WebhookError(_("%(host)s resolves to an internal address.", host=host))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def due_deliveries(limit: int = 200) -> list[int]:
    query = (
        WebhookDelivery.select(WebhookDelivery.id)
        .where((WebhookDelivery.state == "pending") & (WebhookDelivery.next_attempt_at <= utcnow()))
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
    )
    return [row.id for row in query]


def redeliver(delivery: WebhookDelivery, *, actor=None) -> None:
    """An operator sends a failed delivery again (one more round of tries)."""
    with db.atomic():
        WebhookDelivery.update(state="pending", attempts=0, next_attempt_at=utcnow()).where(
            WebhookDelivery.id == delivery.id
        ).execute()
        audit.record(
            delivery.organization_id, "webhook.redeliver", user=actor, target=delivery, summary=verbatim(delivery.topic)
        )
        _enqueue_delivery(delivery.id)
