"""Ticket work: stored PDFs dropped when an order ends; wallet passes built for a paid order and
again when their event changes; the jobs that build badge PDFs and the PDF of a large order
register their bodies in their modules, imported here."""

from __future__ import annotations

from tasks import huey  # noqa: F401  (the instance every task module shares)
from webapp import work
from webapp.tickets import badges, order_pdf_jobs, receivers, service, wallet  # noqa: F401  (their job bodies)


@work.handles(receivers.FORGET_ORDER)
def forget_order_tickets(payload: dict) -> int:
    return service.forget_if_not_admitted(payload["order_id"])


@work.handles(receivers.WALLET_ORDER)
def build_wallet_passes(payload: dict) -> int:
    return wallet.build_order(payload["order_id"])


@work.handles(receivers.WALLET_EVENT)
def rebuild_wallet_passes(payload: dict) -> int:
    return wallet.rebuild_event(payload["event_id"])
