"""Contact Book tasks: registrant sync, timeline entries from other domains, event labels, CSV
imports and the inactivity rule."""

from __future__ import annotations

from huey import crontab

from tasks import huey
from tasks.base import with_db


@huey.task(retries=3, retry_delay=10)
@with_db
def sync_new_registrants(order_id: int) -> int:
    """After a registration: every registrant of the organization still without a contact, in
    chunks. The first task of a bulk import syncs its thousands; the tasks after it find their
    registrants done and cost one query."""
    from webapp.contacts import sync
    from webapp.orders.models import Registrant

    org_id = (
        Registrant.select(Registrant.organization)
        .where((Registrant.order == order_id) & Registrant.contact.is_null())
        .limit(1)
        .scalar()
    )
    return 0 if org_id is None else sync.sync_pending(org_id)


@huey.task(retries=3, retry_delay=10)
@with_db
def sync_paid_order(order_id: int) -> int:
    """After a payment: the order's registrants again, which records "paid" once and applies the
    customer rules."""
    from webapp.contacts import sync
    from webapp.orders.models import Registrant

    return sync.sync_registrants(r.id for r in Registrant.select(Registrant.id).where(Registrant.order == order_id))


@huey.task(retries=3, retry_delay=10)
@with_db
def sync_registrant(registrant_id: int) -> int | None:
    from webapp.contacts import sync

    contact = sync.sync_registrant(registrant_id)
    return contact.id if contact else None


@huey.task(retries=3, retry_delay=10)
@with_db
def record_checkin(checkin_id: int) -> bool:
    from webapp.contacts import lifecycle

    return lifecycle.record_checkin(checkin_id)


@huey.task(retries=3, retry_delay=10)
@with_db
def record_order_end(order_id: int) -> int:
    from webapp.contacts import lifecycle

    return lifecycle.record_order_end(order_id)


@huey.task(retries=2, retry_delay=10)
@with_db
def label_event_registrants(event_id: int, label_id: int) -> int:
    from webapp.contacts import labels

    return labels.label_event_registrants(event_id, label_id)


@huey.task()
@with_db
def run_contact_import(import_id: int) -> str:
    from webapp.contacts import imports

    return imports.run_import(import_id)


@huey.periodic_task(crontab(minute="*/5"))
@with_db
def sync_stragglers() -> int:
    """Every five minutes: registrants a lost task left without a contact."""
    from webapp.contacts import sync

    return sync.sync_pending()


@huey.periodic_task(crontab(minute="17", hour="3"))
@with_db
def inactive_contacts_to_lost() -> int:
    """Daily: the inactivity rule of each organization that set one."""
    from webapp.contacts import lifecycle

    return lifecycle.mark_inactive_lost()
