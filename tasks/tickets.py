"""Ticket work: stored PDFs dropped when an order ends; wallet passes built for a paid order and
again when their event changes, and the devices that hold them told through APNs; the jobs that
build badge PDFs and the PDF of a large order register their bodies in their modules, imported
here."""

from __future__ import annotations

from tasks import huey  # noqa: F401  (the instance every task module shares)
from webapp import work
from webapp.tickets import badges, order_pdf_jobs, receivers, service, wallet, wallet_push  # noqa: F401  (job bodies)


@work.handles(receivers.FORGET_ORDER)
def forget_order_tickets(payload: dict) -> int:
    return service.forget_if_not_admitted(payload["order_id"])


@work.handles(receivers.WALLET_ORDER)
def build_wallet_passes(payload: dict) -> int:
    return wallet.build_order(payload["order_id"])


@work.handles(receivers.WALLET_EVENT)
def rebuild_wallet_passes(payload: dict) -> int:
    return wallet.rebuild_event(payload["event_id"])


@work.handles(wallet_push.KIND)
def push_wallet_updates(payload: dict) -> dict:
    return wallet_push.push(payload["registration_ids"])
