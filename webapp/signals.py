"""Domain events: producers announce what happened, other domains react, neither imports the other.

A producer calls `emit(signal, **ids)` inside its transaction. The signal is written to the outbox
(webapp/outbox.py) in that transaction, so it exists exactly when the change it announces does;
after the commit a task delivers it to the receivers, with the plain ids. A receiver normally just
enqueues a Huey task. Receivers live in `webapp/<domain>/receivers.py` and are connected by
`connect_receivers()` (the app factory and the task worker both call it).
"""

from __future__ import annotations

import importlib

from blinker import Namespace

_signals = Namespace()

# kwargs: order_id
registration_created = _signals.signal("registration-created")  # an order and its registrants exist
order_paid = _signals.signal("order-paid")  # paid (free orders at once)
order_canceled = _signals.signal("order-canceled")  # canceled, expired, declined or refunded
order_approved = _signals.signal("order-approved")
# kwargs: registrant_id
registrant_changed = _signals.signal("registrant-changed")  # name/email/answers/product edited
# kwargs: checkin_id
checked_in = _signals.signal("checked-in")  # an `ok` entry scan
# kwargs: event_id
event_changed = _signals.signal("event-changed")  # details shown on tickets changed
# kwargs: contact_id
contact_updated = _signals.signal("contact-updated")

DOMAINS = ("events", "catalog", "orders", "payments", "tickets", "mail", "contacts", "checkin", "console", "api")


def emit(signal, **kwargs) -> None:
    """Announce `signal` with plain ids: its receivers get it once the surrounding transaction
    commits (soon after the statement, outside one), never after a rollback."""
    from webapp import outbox

    outbox.record(signal.name, kwargs)


def by_name(name: str):
    """The signal called `name`, or None."""
    return _signals.get(name)


_connected = False


def connect_receivers() -> None:
    global _connected
    if _connected:
        return
    for domain in DOMAINS:
        name = f"webapp.{domain}.receivers"
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    _connected = True
