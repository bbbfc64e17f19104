"""Audiences: who asked for notifications (per event or per organization), and the pushes operators
send them, now or at a set time, through the work engine.

A push goes out in batches from a checkpoint (the last subscription id sent to), so a restarted
worker carries on where it stopped. A push service answering 404 or 410 means the subscription is
gone: it is deleted and counted as removed."""

from __future__ import annotations

import datetime as dt
import hashlib
import time

import peewee as pw

from webapp import work
from webapp.audiences import push
from webapp.audiences.models import Audience, PushMessage, PushSubscription
from webapp.db import db, utcnow
from webapp.events.models import Event
from webapp.i18n import _
from webapp.orders.models import Order, Registrant
from webapp.runtime import settings

SEND = "audiences.send"  # {"message_id"}: send (the next batch of) one push
BATCH = 50
SLICE_SECONDS = 3.0


class AudienceError(ValueError):
    """Input to correct; `field` names the form field (or the JSON member) at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


# --- Audiences and subscriptions -------------------------------------------------------------------


def audience_for(org_id: int, event: Event | None = None) -> Audience:
    scope = f"event:{event.id}" if event is not None else "organization"
    found = Audience.get_or_none((Audience.organization == org_id) & (Audience.scope == scope))
    if found is not None:
        return found
    try:
        with db.atomic():
            return Audience.create(organization=org_id, event=event, scope=scope)
    except pw.IntegrityError:
        return Audience.get((Audience.organization == org_id) & (Audience.scope == scope))


def _checked_keys(subscription) -> tuple[str, str, str]:
    """(endpoint, p256dh, auth) of a PushSubscription's JSON, or AudienceError."""
    if not isinstance(subscription, dict):
        raise AudienceError("subscription", _("A push subscription is expected."))
    endpoint, keys = subscription.get("endpoint"), subscription.get("keys")
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > 1000 or not push.endpoint_allowed(endpoint):
        raise AudienceError("endpoint", _("This push service address cannot be used."))
    if not isinstance(keys, dict):
        raise AudienceError("keys", _("The subscription's keys are missing."))
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    try:
        point = push.unb64url(p256dh) if isinstance(p256dh, str) and len(p256dh) < 128 else b""
        secret = push.unb64url(auth) if isinstance(auth, str) and len(auth) < 64 else b""
    except ValueError:
        point = secret = b""
    if len(point) != 65 or point[0] != 4 or len(secret) != 16:
        raise AudienceError("keys", _("The subscription's keys are not P-256 keys."))
    return endpoint, p256dh, auth


def subscribe(org_id: int, event: Event | None, subscription, *, order: Order | None = None) -> PushSubscription:
    """Keep a browser's subscription in the audience of `event` (or of the organization); linked
    to the buyer's contact when it comes from their order page. Subscribing again updates it."""
    endpoint, p256dh, auth = _checked_keys(subscription)
    contact_id = _contact_of(order) if order is not None and order.organization_id == org_id else None
    audience = audience_for(org_id, event)
    digest = hashlib.sha256(endpoint.encode()).hexdigest()
    with db.atomic():
        found = PushSubscription.get_or_none(
            (PushSubscription.audience == audience) & (PushSubscription.endpoint_hash == digest)
        )
        if found is not None:
            found.p256dh, found.auth = p256dh, auth
            found.contact = contact_id or found.contact_id
            found.save()
            return found
        return PushSubscription.create(
            organization=org_id,
            audience=audience,
            endpoint=endpoint,
            endpoint_hash=digest,
            p256dh=p256dh,
            auth=auth,
            contact=contact_id,
        )


def unsubscribe(org_id: int, endpoint: str) -> int:
    digest = hashlib.sha256(endpoint.encode()).hexdigest()
    return (
        PushSubscription.delete()
        .where((PushSubscription.organization == org_id) & (PushSubscription.endpoint_hash == digest))
        .execute()
    )


def _contact_of(order: Order) -> int | None:
    row = (
        Registrant.select(Registrant.contact)
        .where((Registrant.order == order) & Registrant.contact.is_null(False))
        .order_by(Registrant.id)
        .first()
    )
    return row.contact_id if row else None


def audiences(org_id: int) -> list[dict]:
    """The organization's audiences with how many browsers each holds, the organization's first."""
    counts = dict(
        PushSubscription.select(PushSubscription.audience, pw.fn.COUNT(PushSubscription.id))
        .where(PushSubscription.organization == org_id)
        .group_by(PushSubscription.audience)
        .tuples()
    )
    rows = (
        Audience.select(Audience, Event)
        .join(Event, pw.JOIN.LEFT_OUTER)
        .where(Audience.organization == org_id)
        .order_by(Audience.event.is_null(False), Event.starts_at.desc())
    )
    return [{"audience": a, "event": a.event if a.event_id else None, "count": counts.get(a.id, 0)} for a in rows]


# --- Pushes --------------------------------------------------------------------------------------


def clean_link(url: str) -> str:
    """A push's link: one of our own pages (a path) or an https:// address; "" for none."""
    url = (url or "").strip()
    if not url:
        return ""
    if len(url) > 1000 or any(c in url for c in "\x00\r\n\t\\ ") or any(0xD800 <= ord(c) <= 0xDFFF for c in url):
        raise AudienceError("url", _("Enter a path of this site (/e/…) or an https:// address."))
    if url.startswith("/") and not url.startswith("//"):
        return settings().base_url + url
    if url.lower().startswith("https://") and len(url) > len("https://"):
        return url
    raise AudienceError("url", _("Enter a path of this site (/e/…) or an https:// address."))


def _clean_text(value: str, field: str, limit: int) -> str:
    value = (value or "").strip()
    if "\x00" in value or any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise AudienceError(field, _("This text holds characters that cannot be sent."))
    if not value and field == "title":
        raise AudienceError(field, _("Enter a title."))
    if len(value) > limit:
        raise AudienceError(field, _("At most %(num)d characters.", num=limit))
    return value


def schedule(audience: Audience, *, title: str, body: str, url: str, send_at: dt.datetime | None, actor) -> PushMessage:
    """Record a push and the work that sends it (at once, or at `send_at`, UTC)."""
    values = {
        "title": _clean_text(title, "title", 120),
        "body": _clean_text(body, "body", 400),
        "url": clean_link(url),
    }
    now = utcnow()
    if send_at is not None and send_at < now - dt.timedelta(minutes=1):
        raise AudienceError("send_at", _("This time has passed: leave it empty to send now."))
    with db.atomic():
        message = PushMessage.create(
            organization=audience.organization_id,
            audience=audience,
            send_at=send_at or now,
            created_by=actor,
            **values,
        )
        delay = (send_at - now) if send_at is not None and send_at > now else None
        work.record(SEND, {"message_id": message.id}, priority=work.BULK, delay=delay)
    return message


def cancel(message: PushMessage) -> bool:
    """Cancel a push not yet begun; False when it is already sending or sent."""
    return bool(
        PushMessage.update(state="canceled", finished_at=utcnow())
        .where((PushMessage.id == message.id) & (PushMessage.state == "scheduled"))
        .execute()
    )


def payload(message: PushMessage) -> dict:
    return {"title": message.title, "body": message.body, "url": message.url}


def send_step(message_id: int) -> object:
    """Send the next batches of one push within a slice; work.AGAIN while subscriptions are left."""
    message = PushMessage.get_or_none(PushMessage.id == message_id)
    if message is None or message.state in ("sent", "canceled"):
        return None
    if message.state == "scheduled":
        PushMessage.update(state="sending").where(PushMessage.id == message.id).execute()
    keys = push.signer(push.keys_for(message.organization_id))
    contact_email = _sender_email(message)
    started = time.monotonic()
    while time.monotonic() - started < SLICE_SECONDS:
        batch = list(
            PushSubscription.select()
            .where((PushSubscription.audience == message.audience_id) & (PushSubscription.id > message.checkpoint))
            .order_by(PushSubscription.id)
            .limit(BATCH)
        )
        if not batch:
            PushMessage.update(state="sent", finished_at=utcnow()).where(PushMessage.id == message.id).execute()
            return None
        _send_batch(message, batch, keys, contact_email)
    return work.AGAIN


def _send_batch(message: PushMessage, batch: list[PushSubscription], keys, contact_email: str) -> None:
    delivered = removed = failed = 0
    gone = []
    for subscription in batch:
        outcome = push.send(subscription, keys, payload(message), contact_email=contact_email)
        if outcome.delivered:
            delivered += 1
        elif outcome.gone:
            removed += 1
            gone.append(subscription.id)
        else:
            failed += 1
    with db.atomic():
        if gone:
            PushSubscription.delete().where(PushSubscription.id.in_(gone)).execute()
        PushMessage.update(
            delivered=PushMessage.delivered + delivered,
            removed=PushMessage.removed + removed,
            failed=PushMessage.failed + failed,
            checkpoint=batch[-1].id,
        ).where(PushMessage.id == message.id).execute()
    message.checkpoint = batch[-1].id


def _sender_email(message: PushMessage) -> str:
    """The VAPID `sub`: whom a push service may write to about our pushes."""
    org = message.organization
    address = org.reply_to or settings().mail_from.rpartition("<")[2].rstrip(">")
    return address.strip() or "no-reply@rollcall.localhost"
