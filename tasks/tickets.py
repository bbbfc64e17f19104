"""Ticket work: PDFs kept current, bulk badge PDFs."""

from __future__ import annotations

from tasks import huey  # noqa: F401  (the instance every task module shares)
from webapp import work
from webapp.orders.models import Registrant
from webapp.tickets import badges, receivers, service


@work.handles(receivers.REFRESH_ORDER)
def refresh_order_tickets(payload: dict) -> int:
    """Generate the order's PDFs if missing or stale (and drop them if it admits nobody)."""
    return service.refresh_order(payload["order_id"])


@work.handles(receivers.REFRESH_REGISTRANT)
def refresh_registrant_tickets(payload: dict) -> int:
    registrant = Registrant.get_or_none(Registrant.id == payload["registrant_id"])
    return service.refresh_order(registrant.order_id) if registrant else 0


@work.handles(receivers.REFRESH_EVENT)
def refresh_event_tickets(payload: dict) -> int:
    """The event changed: every order that has PDFs gets them again, one bulk item per order."""
    order_ids = service.orders_with_documents(payload["event_id"])
    for order_id in order_ids:
        work.record(receivers.REFRESH_ORDER, {"order_id": order_id}, priority=work.BULK)
    return len(order_ids)


@work.handles(badges.BUILD)
def build_badges(payload: dict) -> str:
    return badges.build_bulk(payload["job_id"]).status
