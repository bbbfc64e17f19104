"""What search engines and link previews read: schema.org Event data."""

from __future__ import annotations

from webapp import timeutil
from webapp.accounts.models import Organization
from webapp.events.models import Event
from webapp.events.text import localized, plain_text
from webapp.money import to_major
from webapp.orders.offers import Offer

AVAILABILITY = {
    "on_sale": "https://schema.org/InStock",
    "sold_out": "https://schema.org/SoldOut",
    "not_yet": "https://schema.org/PreOrder",
    "ended": "https://schema.org/Discontinued",
}


def event_json_ld(
    event: Event, org: Organization, offers: list[Offer], *, url: str, image_url: str | None, locale: str | None
) -> dict:
    """A schema.org Event (https://schema.org/Event); the template serializes it with |tojson,
    which escapes <, > and & so nothing can close the script element."""
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": localized(event, "name", locale),
        "description": localized(event, "summary", locale) or plain_text(localized(event, "description_md", locale)),
        "startDate": timeutil.to_local(event.starts_at, event.timezone).isoformat(),
        "endDate": timeutil.to_local(event.ends_at, event.timezone).isoformat(),
        "eventStatus": "https://schema.org/EventScheduled",
        "url": url,
        "inLanguage": locale or (event.languages or ["en"])[0],
        "organizer": {"@type": "Organization", "name": org.name},
    }
    places = []
    if event.venue_name or event.venue_address:
        places.append(
            {
                "@type": "Place",
                "name": event.venue_name or event.venue_address,
                "address": " ".join((event.venue_address or event.venue_name).split()),
            }
        )
    if event.online_url:
        places.append({"@type": "VirtualLocation", "url": event.online_url})
    if places:
        data["location"] = places[0] if len(places) == 1 else places
    mode = "Mixed" if len(places) == 2 else ("Online" if event.online_url else "Offline")
    data["eventAttendanceMode"] = f"https://schema.org/{mode}EventAttendanceMode"
    if image_url:
        data["image"] = [image_url]
    data["offers"] = [
        {
            "@type": "Offer",
            "name": offer.name,
            "price": str(to_major(offer.product.price, offer.product.currency)),
            "priceCurrency": offer.product.currency,
            "availability": AVAILABILITY[offer.state],
            "url": url,
        }
        for offer in offers
    ]
    return data
