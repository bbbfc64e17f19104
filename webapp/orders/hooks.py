"""What the orders domain answers when the domains below it ask (webapp/signals.py questions):
whatever people have ordered stays as they ordered it."""

from __future__ import annotations

from webapp import signals
from webapp.catalog.models import Product
from webapp.events.models import Event
from webapp.orders.models import Order, OrderItem, Registrant


def _has_orders(event: Event) -> bool:
    return Order.select().where(Order.event == event.id).exists()


@signals.event_unpublishing.connect
def _keep_registered_events_published(event: Event, **kwargs) -> str | None:
    if _has_orders(event):
        return "People have registered: close registration instead of unpublishing."
    return None


@signals.event_currency_changing.connect
def _keep_the_currency_of_orders(event: Event, **kwargs) -> str | None:
    if _has_orders(event):
        return "People have already ordered in this currency; it can no longer change."
    return None


@signals.product_deleting.connect
def _keep_sold_products(product: Product, **kwargs) -> str | None:
    sold = (
        OrderItem.select().where(OrderItem.product == product.id).exists()
        or Registrant.select().where(Registrant.product == product.id).exists()
    )
    return "This product has orders; deactivate it instead of deleting it." if sold else None
