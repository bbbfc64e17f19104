"""The emails domain events set off: record the work (receivers run in a worker, after the
producer's commit; the task layer imports this module to connect them)."""

from __future__ import annotations

from webapp import signals, work

SEND_ORDER_EMAILS = "mail.send_order_emails"  # {"order_id"}
SEND_CHECKIN_EMAIL = "mail.send_checkin_email"  # {"checkin_id"}


@signals.order_paid.connect
@signals.order_approved.connect
def _order_admitted(sender, order_id: int, **kwargs) -> None:
    """Paid, or approved after paying: the tickets go out (once; the handler checks)."""
    work.record(SEND_ORDER_EMAILS, {"order_id": order_id})


@signals.checked_in.connect
def _checked_in(sender, checkin_id: int, **kwargs) -> None:
    work.record(SEND_CHECKIN_EMAIL, {"checkin_id": checkin_id})
