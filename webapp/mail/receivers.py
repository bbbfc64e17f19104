"""The emails domain events set off (each receiver only enqueues a task)."""

from __future__ import annotations

from webapp import signals


@signals.order_paid.connect
@signals.order_approved.connect
def _order_admitted(sender, order_id: int, **kwargs) -> None:
    """Paid, or approved after paying: the tickets go out (once; the task checks)."""
    from tasks.mail import send_order_emails

    send_order_emails(order_id)


@signals.registration_created.connect
def _registration_created(sender, order_id: int, **kwargs) -> None:
    """An order to be paid by bank transfer: the buyer gets the payment instructions at once.
    Queued here (signals are delivered after the commit, by a task): it only writes an outbox row."""
    from webapp.mail import notify

    notify.bank_transfer_placed(order_id)


@signals.checked_in.connect
def _checked_in(sender, checkin_id: int, **kwargs) -> None:
    from tasks.mail import send_checkin_email

    send_checkin_email(checkin_id)
