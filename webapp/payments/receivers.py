"""Keep bank and test payment attempts in step with their order when it is paid or ends by other
means (an operator's "mark paid", a cancellation, an expiry)."""

from __future__ import annotations

from webapp import signals


@signals.order_paid.connect
@signals.order_canceled.connect
def _order_settled(sender, order_id: int, **kwargs) -> None:
    from tasks.payments import settle_offline_attempts

    settle_offline_attempts(order_id)
