"""What the catalog answers when the events domain (below it) asks or announces at once
(webapp/signals.py questions)."""

from __future__ import annotations

from webapp import signals
from webapp.catalog import groups
from webapp.catalog.models import Coupon, Product
from webapp.events.models import Event


@signals.event_publishing.connect
def _needs_a_ticket_type(event: Event, **kwargs) -> str | None:
    if not Product.select().where((Product.event == event.id) & Product.active).exists():
        return "Add at least one ticket type before publishing."
    return None


@signals.event_created.connect
def _default_group(event: Event, **kwargs) -> None:
    """Every event has its default participant group from the start: a registration never makes it."""
    groups.create_default_group(event)


@signals.event_currency_changed.connect
def _rescale_prices(event: Event, *, currency: str, shift: int, **kwargs) -> None:
    """Prices keep their amount in major units (150000 IDR -> 150000.00 USD)."""
    for product in Product.select().where(Product.event == event.id):
        product.price = _rescale(product.price, shift)
        product.currency = currency
        product.save()
    for coupon in Coupon.select().where((Coupon.event == event.id) & (Coupon.kind == "fixed")):
        coupon.value = _rescale(coupon.value, shift)
        coupon.save()


def _rescale(amount: int, shift: int) -> int:
    return amount * 10**shift if shift >= 0 else amount // 10 ** (-shift)
