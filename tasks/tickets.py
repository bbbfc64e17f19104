"""Ticket work: stored PDFs dropped when an order ends, bulk badge PDFs."""

from __future__ import annotations

from tasks import huey  # noqa: F401  (the instance every task module shares)
from webapp import work
from webapp.tickets import badges, receivers, service


@work.handles(receivers.FORGET_ORDER)
def forget_order_tickets(payload: dict) -> int:
    return service.forget_if_not_admitted(payload["order_id"])


@work.handles(badges.BUILD)
def build_badges(payload: dict) -> str:
    return badges.build_bulk(payload["job_id"]).status
