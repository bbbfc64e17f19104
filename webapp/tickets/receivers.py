"""Ticket PDFs are made when they are emailed or downloaded, never ahead of time, and a stored PDF
whose content no longer matches (a name, the event, the layout changed) is made again on its next
use (webapp/tickets/service.py). What is left to do when something happens: drop the PDFs of an
order that no longer admits anyone; build the wallet passes of a paid order, and build again those
of an event whose time or venue changed (devices then fetch them). Connected by the task layer."""

from __future__ import annotations

from webapp import signals, work
from webapp.events.models import Event
from webapp.orders.models import Order, Registrant
from webapp.tickets.models import WalletPass, WalletSettings

FORGET_ORDER = "tickets.forget_order"  # {"order_id"}: drop the stored PDFs if it admits nobody
WALLET_ORDER = "tickets.wallet_order"  # {"order_id"}: build its wallet passes (void those of canceled tickets)
WALLET_EVENT = "tickets.wallet_event"  # {"event_id"}: build its passes again, mark the changed ones


def _issues_passes(org_id: int) -> bool:
    return (
        WalletSettings.select()
        .where((WalletSettings.organization == org_id) & (WalletSettings.apple_certificate != ""))
        .exists()
    )


@signals.order_canceled.connect
def _order_canceled(sender, order_id: int, **kwargs) -> None:
    work.record(FORGET_ORDER, {"order_id": order_id}, priority=work.BULK)
    issued = WalletPass.select().join(Registrant).where(Registrant.order == order_id)
    if issued.exists():  # its passes are made void: devices that hold them learn it
        work.record(WALLET_ORDER, {"order_id": order_id}, priority=work.BULK)


@signals.order_paid.connect
def _order_paid(sender, order_id: int, **kwargs) -> None:
    order = Order.get_or_none(Order.id == order_id)
    if order is not None and _issues_passes(order.organization_id):
        work.record(WALLET_ORDER, {"order_id": order_id}, priority=work.BULK)


@signals.event_changed.connect
def _event_changed(sender, event_id: int, **kwargs) -> None:
    event = Event.get_or_none(Event.id == event_id)
    if event is not None and WalletPass.select().where(WalletPass.event == event_id).exists():
        work.record(WALLET_EVENT, {"event_id": event_id}, priority=work.BULK)


@signals.registrant_changed.connect
def _registrant_changed(sender, registrant_id: int, **kwargs) -> None:
    """A name, ticket type or cancellation shows on the pass: build it again (or void it)."""
    issued = WalletPass.get_or_none(WalletPass.registrant == registrant_id)
    if issued is not None:
        registrant = Registrant.get_by_id(registrant_id)
        work.record(WALLET_ORDER, {"order_id": registrant.order_id}, priority=work.BULK)
