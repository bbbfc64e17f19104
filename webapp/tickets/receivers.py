"""Ticket PDFs are made when they are emailed or downloaded, never ahead of time, and a stored PDF
whose content no longer matches (a name, the event, the layout changed) is made again on its next
use (webapp/tickets/service.py). What is left to do when something happens: drop the PDFs of an
order that no longer admits anyone. Connected by the task layer."""

from __future__ import annotations

from webapp import signals, work

FORGET_ORDER = "tickets.forget_order"  # {"order_id"}: drop the stored PDFs if it admits nobody


@signals.order_canceled.connect
def _order_canceled(sender, order_id: int, **kwargs) -> None:
    work.record(FORGET_ORDER, {"order_id": order_id}, priority=work.BULK)
