"""Keep ticket PDFs current: generate them once an order is paid, again when what they show
changes, and drop them when the order no longer admits anyone. Connected by the task layer."""

from __future__ import annotations

from webapp import signals, work

REFRESH_ORDER = "tickets.refresh_order"  # {"order_id"}
REFRESH_REGISTRANT = "tickets.refresh_registrant"  # {"registrant_id"}
REFRESH_EVENT = "tickets.refresh_event"  # {"event_id"}: one bulk item per order that has PDFs


@signals.order_paid.connect
@signals.order_approved.connect
@signals.order_canceled.connect
def _order_changed(sender, order_id: int, **kwargs) -> None:
    work.record(REFRESH_ORDER, {"order_id": order_id}, priority=work.BULK)


@signals.registrant_changed.connect
def _registrant_changed(sender, registrant_id: int, **kwargs) -> None:
    work.record(REFRESH_REGISTRANT, {"registrant_id": registrant_id}, priority=work.BULK)


@signals.event_changed.connect
def _event_changed(sender, event_id: int, **kwargs) -> None:
    work.record(REFRESH_EVENT, {"event_id": event_id}, priority=work.BULK)
