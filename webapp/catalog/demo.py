"""The demo organization's event: published, a few weeks ahead, in two languages."""

from __future__ import annotations

import datetime as dt

from webapp import timeutil
from webapp.accounts.models import Organization, User
from webapp.catalog import coupons
from webapp.catalog import service as catalog
from webapp.db import utcnow
from webapp.events import service
from webapp.events.models import Event

DESCRIPTION = """A day for the people who build products in Indonesia: talks in the morning,
hands-on workshops in the afternoon, and plenty of time to meet.

## Programme

- 09:00 Registration and coffee
- 10:00 Keynote: *Shipping for a country of 17,000 islands*
- 13:00 Workshops (bring a laptop)
- 16:30 Closing and networking

Questions? Write to [hello@example.org](mailto:hello@example.org).
"""


def seed(org: Organization, user: User) -> Event:
    local_day = (timeutil.to_local(utcnow(), "Asia/Jakarta") + dt.timedelta(days=24)).date()
    event = service.create_event(
        org,
        {
            "name": "Jakarta Product Summit",
            "slug": "product-summit",
            "summary": "Talks, workshops and good company for people who build products.",
            "description_md": DESCRIPTION,
            "timezone": "Asia/Jakarta",
            "starts_at": dt.datetime.combine(local_day, dt.time(9, 0)),
            "ends_at": dt.datetime.combine(local_day, dt.time(17, 0)),
            "venue_name": "Gedung Serbaguna Senayan",
            "venue_address": "Jl. Pintu Satu Senayan, Jakarta Pusat 10270",
            "tags": ["product", "design", "engineering"],
            "currency": "IDR",
            "language": "en",
        },
        actor=user,
    )
    service.set_languages(event, ["en", "id"], actor=user)
    service.update_translation(
        event,
        "id",
        {
            "name": "Jakarta Product Summit",
            "summary": "Sesi bicara, lokakarya, dan teman baru bagi para pembangun produk.",
            "description_md": "Sehari penuh untuk para pembangun produk di Indonesia: sesi bicara di pagi hari, "
            "lokakarya di siang hari, dan banyak waktu untuk berjejaring.",
        },
        actor=user,
    )
    service.update_registration(
        event, {"capacity": 400, "max_tickets_per_order": 5, "cancel_allowed_until": _days_before(event, 3)}, actor=user
    )
    community = catalog.create_product(
        event,
        {
            "name": "Community",
            "description": "Morning talks. Limited seats.",
            "price": 0,
            "quota": 100,
            "max_per_order": 2,
        },
        actor=user,
    )
    regular = catalog.create_product(
        event,
        {"name": "Regular", "description": "Talks, workshops, lunch and coffee.", "price": 250000, "quota": 300},
        actor=user,
    )
    lunch = catalog.create_product(
        event,
        {
            "name": "Workshop kit",
            "description": "Printed workbook and a tote bag.",
            "price": 75000,
            "admits_entry": False,
        },
        actor=user,
    )
    for product, name in ((community, "Komunitas"), (regular, "Reguler"), (lunch, "Paket lokakarya")):
        catalog.update_product_translation(product, "id", {"name": name}, actor=user)
    company = catalog.create_question(
        event, {"label": "Company", "kind": "text", "contact_field": "company"}, actor=user
    )
    size = catalog.create_question(
        event,
        {
            "label": "T-shirt size",
            "kind": "choice",
            "options": ["S", "M", "L", "XL"],
            "required": True,
            "per_attendee": True,
            "show_at_checkin": True,
            "contact_field": "custom:tshirt_size",
        },
        actor=user,
    )
    catalog.update_question_translation(company, "id", {"label": "Perusahaan"}, actor=user)
    catalog.update_question_translation(size, "id", {"label": "Ukuran kaos"}, actor=user)
    coupons.create_coupon(
        event,
        {"code": "EARLYBIRD", "kind": "percent", "value": 20, "product_ids": [regular.id], "usage_limit": 50},
        actor=user,
    )
    service.set_status(event, "published", actor=user)
    return event


def _days_before(event: Event, days: int) -> dt.datetime:
    local_start = timeutil.to_local(event.starts_at, event.timezone).replace(tzinfo=None)
    return local_start - dt.timedelta(days=days)
