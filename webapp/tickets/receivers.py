"""Keep ticket PDFs current: generate them once an order is paid, again when what they show
changes, and drop them when the order no longer admits anyone."""

from __future__ import annotations

from webapp import signals


@signals.order_paid.connect
@signals.order_approved.connect
def _order_paid(sender, order_id: int, **kwargs) -> None:
    from tasks.tickets import refresh_order_tickets

    refresh_order_tickets(order_id)


@signals.order_canceled.connect
def _order_canceled(sender, order_id: int, **kwargs) -> None:
    from tasks.tickets import refresh_order_tickets

    refresh_order_tickets(order_id)


@signals.registrant_changed.connect
def _registrant_changed(sender, registrant_id: int, **kwargs) -> None:
    from tasks.tickets import refresh_registrant_tickets

    refresh_registrant_tickets(registrant_id)


@signals.event_changed.connect
def _event_changed(sender, event_id: int, **kwargs) -> None:
    from tasks.tickets import refresh_event_tickets

    refresh_event_tickets(event_id)
