"""The emails domain events set off: record the work (receivers run in a worker, after the
producer's commit; the task layer imports this module to connect them)."""

from __future__ import annotations

from webapp import signals, work

SEND_ORDER_EMAILS = "mail.send_order_emails"  # {"order_id"}


@signals.order_paid.connect
@signals.order_approved.connect
def _order_admitted(sender, order_id: int, **kwargs) -> None:
    """Paid, or approved after paying: the tickets go out (once; the handler checks)."""
    work.record(SEND_ORDER_EMAILS, {"order_id": order_id})


SEND_APPROVED = "mail.order_approved"  # {"order_id"}
SEND_DECLINED = "mail.order_declined"  # {"order_id"}
SEND_WAITLIST_OFFER = "mail.waitlist_offer"  # {"entry_id"}
SEND_INVITATION = "mail.invitation"  # {"invitation_id"}
SEND_BANK_TRANSFER = "mail.bank_transfer_placed"  # {"order_id"}


@signals.registration_created.connect
def _registration_created(sender, order_id: int, **kwargs) -> None:
    """An order to be paid by bank transfer: the buyer gets the payment instructions at once (the
    handler sends them only for a pending bank-transfer order)."""
    work.record(SEND_BANK_TRANSFER, {"order_id": order_id})


@signals.order_approved.connect
def _order_approved(sender, order_id: int, **kwargs) -> None:
    work.record(SEND_APPROVED, {"order_id": order_id})


@signals.order_declined.connect
def _order_declined(sender, order_id: int, **kwargs) -> None:
    work.record(SEND_DECLINED, {"order_id": order_id})


@signals.waitlist_offered.connect
def _waitlist_offered(sender, entry_id: int, **kwargs) -> None:
    work.record(SEND_WAITLIST_OFFER, {"entry_id": entry_id})


@signals.invitation_sent.connect
def _invitation_sent(sender, invitation_id: int, **kwargs) -> None:
    work.record(SEND_INVITATION, {"invitation_id": invitation_id})
