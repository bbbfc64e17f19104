"""Contact Book work: registrants synced in, timeline entries of ended orders, event labels, CSV
imports, event-tracking ingestion and the inactivity rule."""

from __future__ import annotations

from huey import crontab

from tasks import huey
from webapp import work
from webapp.contacts import funnel, imports, ingest, lifecycle  # noqa: F401  (imports: its job body)
from webapp.contacts import receivers as contact_receivers
from webapp.orders import contact_sync, receivers
from webapp.orders.models import Registrant


@work.handles(contact_receivers.DEFAULT_LABELS)
def default_labels(payload: dict) -> None:
    """A new organization sees its automatic labels and their stage rules from the start."""
    funnel.ensure_defaults(payload["organization_id"])


@work.handles(receivers.SYNC_NEW_REGISTRANTS)
def sync_new_registrants(payload: dict) -> int:
    """After a registration: every registrant of the organization still without a contact, a
    chunk at a time. The first chunk is urgent (someone just registered); after a bulk import the
    thousands left are bulk work, and the runs after it find their registrants done."""
    org_id = (
        Registrant.select(Registrant.organization)
        .where((Registrant.order == payload["order_id"]) & Registrant.contact.is_null())
        .limit(1)
        .scalar()
    )
    if org_id is None:
        return 0
    synced = contact_sync.sync_pending(org_id, limit=contact_sync.CHUNK)
    return work.LATER if synced >= contact_sync.CHUNK else synced


@work.handles(receivers.SYNC_PAID_ORDER)
def sync_paid_order(payload: dict) -> int:
    """After a payment: the order's registrants again, which records "paid" once and applies the
    customer rules."""
    registrants = Registrant.select(Registrant.id).where(Registrant.order == payload["order_id"])
    return contact_sync.sync_registrants(r.id for r in registrants)


@work.handles(receivers.SYNC_REGISTRANT)
def sync_registrant(payload: dict) -> int | None:
    contact = contact_sync.sync_registrant(payload["registrant_id"])
    return contact.id if contact else None


@work.handles(receivers.RECORD_ORDER_END)
def record_order_end(payload: dict) -> int:
    return contact_sync.record_order_end(payload["order_id"])


@work.handles(contact_sync.LABEL_EVENT_REGISTRANTS)
def label_event_registrants(payload: dict) -> int:
    return contact_sync.label_event_registrants(payload["event_id"], payload["label_id"])


@work.handles(ingest.PROCESS, batch=True, single=True)
def process_incoming_events(payloads: list[dict]) -> int:
    """The intake rows of these work items, in batches (webapp.contacts.ingest)."""
    return ingest.process(payloads)


@huey.periodic_task(crontab(minute="*/5"))
def sync_stragglers() -> int:
    """Every five minutes: registrants left without a contact (a sync that failed for good)."""
    with work.bulk():
        return contact_sync.sync_pending()


@huey.periodic_task(crontab(minute="17", hour="3"))
def inactive_contacts_to_lost() -> int:
    """Daily: the inactivity rule of each organization that set one."""
    with work.bulk():
        return lifecycle.mark_inactive_lost()
