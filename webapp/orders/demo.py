"""Demo registrations for the demo event: a few paid attendees and a waiting bank transfer."""

from __future__ import annotations

from webapp.accounts.models import User
from webapp.catalog.models import Product
from webapp.events.models import Event
from webapp.orders import service

PEOPLE = [
    ("Sari Wulandari", "sari@example.org", "Regular"),
    ("Budi Santoso", "budi@example.org", "Regular"),
    ("Citra Dewi", "citra@example.org", "Community"),
    ("Agus Pratama", "agus@example.org", "Community"),
]


def seed(event: Event, user: User) -> None:
    products = {p.name: p for p in Product.select().where((Product.event == event.id) & Product.admits_entry)}
    for name, email, product_name in PEOPLE:
        product = products.get(product_name)
        if product is not None:
            service.add_participants(
                event, product, [{"name": name, "email": email}], source="console", paid=True,
                send_ticket=False, actor=user,
            )  # fmt: skip
    regular = products.get("Regular")
    if regular is not None:  # an unpaid order for the operator to mark paid once the transfer arrives
        service.add_participants(
            event, regular, [{"name": "Dewi Lestari", "email": "dewi@example.org"}], source="console", paid=False,
            send_ticket=False, actor=user,
        )  # fmt: skip
