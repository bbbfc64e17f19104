"""Trees written the short way, and a registrant tied to a contact."""

from __future__ import annotations

from webapp.contacts.models import Contact
from webapp.orders.models import Registrant


def cond(dimension: str, operator: str, value=None, **keys) -> dict:
    return {"type": "condition", "dimension": dimension, "operator": operator, "value": value, **keys}


def group(*children, join: str = "and", negate: bool = False) -> dict:
    return {"type": "group", "join": join, "negate": negate, "children": list(children)}


def attach(registrant: Registrant, contact: Contact, **changes) -> Registrant:
    """Point the registrant at the contact (what the Contact Book sync does), with changes."""
    Registrant.update(contact=contact.id, **changes).where(Registrant.id == registrant.id).execute()
    return Registrant.get_by_id(registrant.id)
