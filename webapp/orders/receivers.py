"""What the orders domain feeds the Contact Book when orders change: record the work (receivers run
in a worker, after the producer's commit; the task layer imports this module to connect them)."""

from __future__ import annotations

from webapp import signals, work

SYNC_NEW_REGISTRANTS = "orders.sync_new_registrants"  # {"order_id"}
SYNC_PAID_ORDER = "orders.sync_paid_order"  # {"order_id"}
SYNC_REGISTRANT = "orders.sync_registrant"  # {"registrant_id"}
RECORD_ORDER_END = "orders.record_order_end"  # {"order_id"}


@signals.registration_created.connect
def _registration_created(sender, order_id: int, **kwargs) -> None:
    work.record(SYNC_NEW_REGISTRANTS, {"order_id": order_id})


@signals.order_paid.connect
def _order_paid(sender, order_id: int, **kwargs) -> None:
    work.record(SYNC_PAID_ORDER, {"order_id": order_id})


@signals.registrant_changed.connect
def _registrant_changed(sender, registrant_id: int, **kwargs) -> None:
    work.record(SYNC_REGISTRANT, {"registrant_id": registrant_id})


@signals.order_canceled.connect
def _order_canceled(sender, order_id: int, **kwargs) -> None:
    work.record(RECORD_ORDER_END, {"order_id": order_id})
