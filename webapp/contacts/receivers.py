"""What the Contact Book does when other domains announce something: enqueue a task (receivers
run after the producer's commit)."""

from __future__ import annotations

from webapp import signals


@signals.registration_created.connect
def _registration_created(sender, order_id: int, **kwargs) -> None:
    from tasks.contacts import sync_new_registrants

    sync_new_registrants(order_id)


@signals.order_paid.connect
def _order_paid(sender, order_id: int, **kwargs) -> None:
    from tasks.contacts import sync_paid_order

    sync_paid_order(order_id)


@signals.registrant_changed.connect
def _registrant_changed(sender, registrant_id: int, **kwargs) -> None:
    from tasks.contacts import sync_registrant

    sync_registrant(registrant_id)


@signals.checked_in.connect
def _checked_in(sender, checkin_id: int, **kwargs) -> None:
    from tasks.contacts import record_checkin

    record_checkin(checkin_id)


@signals.order_canceled.connect
def _order_canceled(sender, order_id: int, **kwargs) -> None:
    from tasks.contacts import record_order_end

    record_order_end(order_id)
