"""Ticket PDF tasks."""

from __future__ import annotations

from tasks import huey
from tasks.base import with_app


@huey.task(retries=2, retry_delay=60)
@with_app
def refresh_order_tickets(order_id: int) -> int:
    """Generate the order's PDFs if missing or stale (and drop them if it admits nobody)."""
    from webapp.tickets import service

    return service.refresh_order(order_id)


@huey.task()
@with_app
def refresh_registrant_tickets(registrant_id: int) -> int:
    from webapp.orders.models import Registrant
    from webapp.tickets import service

    registrant = Registrant.get_or_none(Registrant.id == registrant_id)
    return service.refresh_order(registrant.order_id) if registrant else 0


@huey.task()
@with_app
def refresh_event_tickets(event_id: int) -> int:
    """The event changed: every order that has PDFs gets them again, one task per order."""
    from webapp.tickets import service

    order_ids = service.orders_with_documents(event_id)
    for order_id in order_ids:
        refresh_order_tickets(order_id)
    return len(order_ids)
