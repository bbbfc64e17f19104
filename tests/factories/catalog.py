from __future__ import annotations

import itertools

from webapp.catalog.models import Coupon, Product, Question
from webapp.events.models import Event

_seq = itertools.count(1)


def _next_position(model, event: Event) -> int:
    last = model.select(model.position).where(model.event == event).order_by(model.position.desc()).first()
    return (last.position + 1) if last else 0


def make_product(event: Event, **kwargs) -> Product:
    """A free, unlimited ticket type of `event` (price in minor units of event.currency)."""
    n = next(_seq)
    values = {
        "organization": event.organization_id,
        "event": event,
        "name": f"Ticket {n}",
        "price": 0,
        "currency": event.currency,
        "position": _next_position(Product, event),
    }
    values.update(kwargs)
    return Product.create(**values)


def make_coupon(event: Event, **kwargs) -> Coupon:
    """An active 10% coupon for every product of `event`."""
    n = next(_seq)
    values = {
        "organization": event.organization_id,
        "event": event,
        "code": f"SAVE{n}",
        "kind": "percent",
        "value": 10,
    }
    values.update(kwargs)
    values["code"] = values["code"].strip().upper()
    return Coupon.create(**values)


def make_question(event: Event, **kwargs) -> Question:
    """An optional short-text question asked once per order."""
    n = next(_seq)
    values = {
        "organization": event.organization_id,
        "event": event,
        "label": f"Question {n}",
        "kind": "text",
        "position": _next_position(Question, event),
    }
    values.update(kwargs)
    return Question.create(**values)
