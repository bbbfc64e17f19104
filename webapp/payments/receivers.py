"""Keep bank and test payment attempts in step with their order when it is paid or ends by other
means (an operator's "mark paid", a cancellation, an expiry). Connected by the task layer."""

from __future__ import annotations

from webapp import signals, work

SETTLE_OFFLINE_ATTEMPTS = "payments.settle_offline_attempts"  # {"order_id"}


@signals.order_paid.connect
@signals.order_canceled.connect
def _order_settled(sender, order_id: int, **kwargs) -> None:
    work.record(SETTLE_OFFLINE_ATTEMPTS, {"order_id": order_id})
