"""Domain events: producers announce what happened, other parts react, neither imports the other.

A producer calls `emit(signal, **ids)` inside its transaction. The signal is written as a work item
(webapp/work) in that transaction, so it exists exactly when the change it announces does; after
the commit a worker delivers it to the receivers, with the plain ids, in one transaction. A
receiver records the work it sets off (`work.record`), which is then retried on its own. The task
layer (tasks/) connects the receivers: it is the one place that knows what runs when.
"""

from __future__ import annotations

from blinker import Namespace

from webapp import work
from webapp.db import db

SIGNAL = "signal"  # the work kind that carries a signal to its receivers

_signals = Namespace()

# kwargs: order_id
registration_created = _signals.signal("registration-created")  # an order and its registrants exist
order_paid = _signals.signal("order-paid")  # paid (free orders at once)
order_canceled = _signals.signal("order-canceled")  # canceled, expired, declined or refunded
order_approved = _signals.signal("order-approved")
order_declined = _signals.signal("order-declined")  # also announced as canceled
# kwargs: entry_id
waitlist_offered = _signals.signal("waitlist-offered")  # a seat is held for someone waiting
# kwargs: invitation_id
invitation_sent = _signals.signal("invitation-sent")  # a personal invitation is to be emailed
# kwargs: registrant_id
registrant_changed = _signals.signal("registrant-changed")  # name/email/answers/product edited
# kwargs: checkin_id
checked_in = _signals.signal("checked-in")  # an `ok` entry scan
# kwargs: event_id
event_changed = _signals.signal("event-changed")  # details shown on tickets changed
# kwargs: contact_id; what changed, when the change says: stage_changes (a list of {from, to,
# source, changed_at}), labels_added and labels_removed (label ids)
contact_updated = _signals.signal("contact-updated")
# kwargs: organization_id
organization_created = _signals.signal("organization-created")  # signed up: give it its defaults
# kwargs: org_id, ids (incoming event ids processed onto contact timelines)
tracked_events_processed = _signals.signal("tracked-events-processed")
# kwargs: run_id, step (a workflow run reached a webhook step)
workflow_webhook = _signals.signal("workflow-webhook")
# kwargs: event (delivered, opened, clicked, bounced, complained, unsubscribed), outbox_ids, and
# for a click its url; for an open or click machine (a scanner's or a proxy's hit)
mail_event = _signals.signal("mail-event")  # something happened to sent messages (campaigns, single sends)


# Questions a lower domain asks the domains above it, answered at once inside the caller's
# transaction (not through the work engine). A receiver returns a reason to refuse, or None. The
# app factory (webapp/app.py) imports the modules that answer.
# sender: the event
event_publishing = _signals.signal("event-publishing")  # may it be published?
event_unpublishing = _signals.signal("event-unpublishing")  # may it go back to draft?
event_currency_changing = _signals.signal("event-currency-changing")  # may its currency change?
# sender: the event, just made (inside its transaction): the domains above give it what every
# event has (the catalog: its default participant group)
event_created = _signals.signal("event-created")
# sender: the event; kwargs: currency (the new one), shift (its exponent minus the old one's)
event_currency_changed = _signals.signal("event-currency-changed")  # rescale what is priced in it
# sender: the product
product_deleting = _signals.signal("product-deleting")  # may it be deleted?
# sender: the segment
segment_deleting = _signals.signal("segment-deleting")  # may it be deleted?
# sender: the organization's id
organization_look_changed = _signals.signal("organization-look-changed")  # name, colour or logo: pages show it


def objections(question, sender, **kwargs) -> list[str]:
    """The reasons the answering domains give against `question` (empty: go ahead)."""
    return [answer for _, answer in question.send(sender, **kwargs) if answer]


def emit(signal, **kwargs) -> None:
    """Announce `signal` with plain ids: its receivers get it once the surrounding transaction
    commits (soon after the statement, outside one), never after a rollback."""
    work.record(SIGNAL, payload(signal, **kwargs))


def payload(signal, **kwargs) -> dict:
    """The work item's payload that carries `signal` (for a hot path that writes the item in a
    statement of its own, with `work.recorded_by_statement`)."""
    carried = {"signal": signal.name, "kwargs": kwargs}
    if work.current_priority() < work.URGENT:  # announced by bulk work: what it sets off is bulk too
        carried["priority"] = work.current_priority()
    return carried


_ID_MARK = 987654321987  # stands for the id while a payload's text is cut around it


def stored_payload_around_id(signal, key: str) -> tuple[str, str]:
    """The work item's payload of `signal` with one id under `key`, as stored, cut into the
    text before and after that id: for a statement that writes the item with an id it makes
    itself (the text between is the id)."""
    text = work.WorkItem.payload.db_value(payload(signal, **{key: _ID_MARK}))
    head, tail = text.split(str(_ID_MARK))
    return head, tail


def by_name(name: str):
    """The signal called `name`, or None."""
    return _signals.get(name)


@work.handles(SIGNAL)
def deliver(payload: dict) -> None:
    """Send one signal to its receivers; the work they record commits together or not at all."""
    signal = by_name(payload["signal"])
    if signal is None:
        raise work.Permanent(f"unknown signal {payload['signal']!r}")
    with db.atomic(), work.at_priority(payload.get("priority", work.URGENT)):
        signal.send(None, **payload["kwargs"])
