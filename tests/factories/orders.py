"""Orders with their items and registrants, written directly (no checkout, no capacity check)."""

from __future__ import annotations

import datetime as dt
import itertools

from webapp.catalog.models import Product
from webapp.db import db, utcnow
from webapp.events.models import Event
from webapp.orders.codes import new_link_secret, new_order_code
from webapp.orders.models import Order, OrderItem, Registrant
from webapp.orders.ticket_secrets import new_ticket_secret

_seq = itertools.count(1)


def make_order(
    event: Event,
    products: dict[Product, int] | None = None,
    *,
    status: str = "paid",
    buyer_name: str | None = None,
    buyer_email: str | None = None,
    attendees: list[dict] | None = None,
    **kwargs,
) -> Order:
    """An order of `event` with one item per unit of `products` ({product: quantity}; default one
    unit of the event's first product) and one registrant per admitted unit. Registrants take their
    name/email from `attendees` in order, else the buyer's. A pending order holds its seats for
    30 minutes unless `expires_at` is given."""
    n = next(_seq)
    if products is None:
        first = Product.select().where(Product.event == event).order_by(Product.position).first()
        if first is None:
            from tests.factories.catalog import make_product

            first = make_product(event)
        products = {first: 1}
    now = utcnow()
    buyer_name = buyer_name or f"Buyer {n}"
    buyer_email = buyer_email or f"buyer{n}@example.org"
    subtotal = sum(p.price * qty for p, qty in products.items())
    values = {
        "organization": event.organization_id,
        "event": event,
        "code": new_order_code(),
        "secret": new_link_secret(),
        "status": status,
        "buyer_name": buyer_name,
        "buyer_email": buyer_email,
        "currency": event.currency,
        "subtotal": subtotal,
        "total": subtotal,
        "paid_at": now if status == "paid" else None,
        "expires_at": now + dt.timedelta(minutes=30) if status == "pending" else None,
        "canceled_at": now if status == "canceled" else None,
    }
    values.update(kwargs)
    people = list(attendees or [])
    with db.atomic():
        order = Order.create(**values)
        for product, qty in products.items():
            for _ in range(qty):
                item = OrderItem.create(
                    organization=event.organization_id, order=order, product=product, price=product.price
                )
                if product.admits_entry:
                    person = people.pop(0) if people else {}
                    Registrant.create(
                        organization=event.organization_id,
                        event=event,
                        order=order,
                        product=product,
                        item=item,
                        name=person.get("name", buyer_name),
                        email=person.get("email", buyer_email),
                        answers=person.get("answers", {}),
                        ticket_secret=new_ticket_secret(),
                        canceled=status in ("canceled", "refunded"),
                    )
    return order


def make_registrant(event: Event, product: Product | None = None, **kwargs) -> Registrant:
    """One registrant in a paid order of its own."""
    order = make_order(event, {product: 1} if product else None, **kwargs)
    return order.registrants.get()
