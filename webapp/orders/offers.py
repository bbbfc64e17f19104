"""What an event offers, as the landing page and the console show it: ticket types with their
sales and the seats left (the capacity rule is webapp/orders/capacity.py)."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import peewee as pw

from webapp.catalog import groups as catalog_groups
from webapp.catalog.models import ParticipantGroup, Product
from webapp.db import utcnow
from webapp.events.models import Event
from webapp.events.text import localized
from webapp.orders.capacity import availability
from webapp.orders.models import Order, OrderItem


def sales_counts(event: Event) -> dict[int, dict[str, int]]:
    """Units per product: {"sold": in paid orders, "pending": in unexpired pending orders}."""
    now = utcnow()
    counts = {p.id: {"sold": 0, "pending": 0} for p in Product.select(Product.id).where(Product.event == event.id)}
    held = (Order.status == "paid") | (
        (Order.status == "pending") & ((Order.expires_at.is_null()) | (Order.expires_at > now))
    )
    query = (
        OrderItem.select(OrderItem.product, Order.status, pw.fn.COUNT(OrderItem.id).alias("n"))
        .join(Order)
        .where((Order.event == event.id) & held)
        .group_by(OrderItem.product, Order.status)
        .tuples()
    )
    for product_id, status, n in query:
        key = "sold" if status == "paid" else "pending"
        counts.setdefault(product_id, {"sold": 0, "pending": 0})[key] += n
    return counts


@dataclass(frozen=True)
class Offer:
    """A product as the landing page shows it, in the visitor's language."""

    product: Product
    name: str
    description: str
    remaining: int | None  # None: unlimited
    state: str  # "on_sale", "sold_out", "not_yet" (sale starts later), "ended"

    @property
    def on_sale(self) -> bool:
        return self.state == "on_sale"


def public_offers(
    event: Event,
    *,
    locale: str | None = None,
    access_key: str | None = None,
    now: dt.datetime | None = None,
    group_key: str | None = None,
) -> list[Offer]:
    """Active products in their order; hidden ones only for the matching secret link; products
    limited to participant groups only for the group of the link (`group_key`; none: the
    default group)."""
    now = now or utcnow()
    left = availability(event)
    offers = []
    groups = list(ParticipantGroup.select().where(ParticipantGroup.event == event.id))
    group = None
    if any(g.product_ids for g in groups):
        group = catalog_groups.by_key(event, group_key or "") or catalog_groups.default_group(event)
    query = Product.select().where((Product.event == event.id) & Product.active).order_by(Product.position, Product.id)
    for product in query:
        if product.hidden and not _unlocks(access_key, product):
            continue
        if group is not None and not catalog_groups.may_buy(group, product.id, groups):
            continue
        remaining = left.get(product.id)
        if product.sale_starts_at and now < product.sale_starts_at:
            state = "not_yet"
        elif product.sale_ends_at and now >= product.sale_ends_at:
            state = "ended"
        elif remaining is not None and remaining <= 0:
            state = "sold_out"
        else:
            state = "on_sale"
        offers.append(
            Offer(
                product=product,
                name=localized(product, "name", locale),
                description=localized(product, "description", locale),
                remaining=remaining,
                state=state,
            )
        )
    return offers


def _unlocks(access_key: str | None, product: Product) -> bool:
    if not access_key or not product.access_key:
        return False
    return secrets.compare_digest(access_key.encode(), product.access_key.encode())
