"""What a webhook carries: the same shapes the API answers with (webapp.api.v1 declarations)."""

from __future__ import annotations

from webapp.api.v1.checkins import CheckinOut
from webapp.api.v1.contacts import ContactOut
from webapp.api.v1.orders import OrderOut, RegistrantOut
from webapp.checkin.models import Checkin
from webapp.contacts.models import Contact
from webapp.orders.models import Order


def payload_for(topic: str, object_id: int) -> tuple[int, dict] | None:
    """(organization id, data) for the topic's object; None when it no longer exists."""

    if topic in ("registration.created", "order.paid"):
        order = Order.get_or_none(Order.id == object_id)
        return None if order is None else (order.organization_id, {"order": OrderOut.dump(order)})
    if topic == "checkin.created":
        checkin = Checkin.get_or_none(Checkin.id == object_id)
        if checkin is None:
            return None
        data = {"checkin": CheckinOut.dump(checkin)}
        data["registrant"] = RegistrantOut.dump(checkin.registrant) if checkin.registrant_id else None
        return checkin.organization_id, data
    if topic == "contact.updated":
        contact = Contact.get_or_none(Contact.id == object_id)
        return None if contact is None else (contact.organization_id, {"contact": ContactOut.dump(contact)})
    raise ValueError(f"unknown webhook topic {topic!r}")
