"""What the checkout form and the order page show, payment methods included: gathered from the
request and the services, so templates only present. (Payments sit above orders: this reads both.)"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import request
from flask_babel import get_locale

from webapp.catalog.models import Product
from webapp.contacts.newsletter_models import Newsletter
from webapp.db import utcnow
from webapp.events.models import Event
from webapp.orders import answers as answer_rules
from webapp.orders import capacity, checkout, pricing, service
from webapp.orders.codes import new_checkout_token
from webapp.orders.models import Order, OrderItem
from webapp.payments.service import available_gateways


def gateways_for(event: Event) -> list[tuple[str, str]]:
    return list(available_gateways(event.organization, event.currency, event.id))  # Midtrans takes IDR only


def access_from(event: Event, source) -> checkout.Access:
    """What the link or the posted form unlocks: hidden products, an invitation, an offer, a
    participant group's registration link."""
    return checkout.find_access(
        event,
        product_keys=source.getlist("product"),
        invite_code=source.get("invite", ""),
        offer_token=source.get("offer", ""),
        group_key=source.get("group", ""),
    )


@dataclass
class ProductChoice:
    product: Product
    left: int | None
    on_sale: bool
    max_choice: int

    @property
    def sold_out(self) -> bool:
        return self.left == 0


@dataclass
class CheckoutPage:
    event: Event
    access: checkout.Access
    choices: list[ProductChoice]
    quantities: dict[Product, int]
    values: dict
    quote: pricing.Quote
    gateways: list[tuple[str, str]]
    order_questions: list
    attendee_questions: list
    attendees: list[Product]
    order_form: object
    attendee_forms: list
    token: str
    closed: str | None
    invite_code: str = ""
    newsletter: Newsletter | None = None  # the event's newsletter, offered with an unchecked box
    errors: dict[str, str] = field(default_factory=dict)

    def show_errors(self) -> None:
        """Run the question forms' validation so each field shows its own message."""
        for form in [self.order_form, *self.attendee_forms]:
            form.validate()

    @property
    def gateway_names(self) -> list[str]:
        return [name for name, _ in self.gateways]

    @property
    def needs_invitation(self) -> bool:
        by_group = self.access.group is not None and self.access.group.registration == "invited"
        return bool((self.event.invite_only or by_group) and not self.access.offer and self.closed)

    @property
    def awaits_acceptance(self) -> bool:
        return checkout.awaits_acceptance(self.event, self.access.group)

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def values_of(self, name: str) -> list[str]:
        getter = getattr(self.values, "getlist", None)
        return getter(name) if getter else []

    @classmethod
    def from_request(cls, event: Event) -> CheckoutPage:
        """Built from the query string (first view) or the posted form (live update, errors)."""
        source = request.form if request.method == "POST" else request.args
        access = access_from(event, source)
        now = utcnow()
        closed = checkout.registration_closed_reason(event, now) or checkout.invitation_problem(event, access)
        offer_id = access.offer.id if access.offer else None
        seats = capacity.seats(event, exclude_offer_id=offer_id)
        left = seats.left()
        products = checkout.visible_products(event, access, seats.products) if not closed else []
        choices = []
        for product in products:
            limits = (
                left.get(product.id),
                product.max_per_order,
                event.max_tickets_per_order,
                event.max_registrations_per_email if product.admits_entry else None,
            )
            cap = [n for n in limits if n is not None]
            choices.append(
                ProductChoice(product, left.get(product.id), checkout.product_on_sale(product, now), min(cap))
            )
        quantities, _ = checkout.read_quantities(source, products)
        if request.method == "GET" and len(choices) == 1 and choices[0].on_sale and not choices[0].sold_out:
            quantities[products[0]] = max(1, products[0].min_per_order)
        quote = pricing.quote(event, quantities, source.get("coupon", ""))
        order_questions, attendee_questions = answer_rules.questions_for(event)
        locale = str(get_locale() or "en")
        formdata = request.form if request.method == "POST" else None
        attendees = checkout.admitted_units(quantities)
        return cls(
            event=event,
            access=access,
            choices=choices,
            quantities=quantities,
            values=source,
            quote=quote,
            gateways=gateways_for(event)
            if quote.total > 0 and not checkout.awaits_acceptance(event, access.group)
            else [],  # shown then only
            order_questions=order_questions,
            attendee_questions=attendee_questions,
            attendees=attendees,
            order_form=answer_rules.bind(order_questions, formdata, locale=locale),
            attendee_forms=[
                answer_rules.bind(attendee_questions, formdata, prefix=f"a{i}-", locale=locale)
                for i in range(len(attendees))
            ],
            token=source.get("checkout_token") or new_checkout_token(),
            closed=closed,
            invite_code=source.get("invite", ""),
            newsletter=offered_newsletter(event),
        )


def offered_newsletter(event: Event) -> Newsletter | None:
    if event.newsletter_id is None:
        return None
    return Newsletter.get_or_none(
        (Newsletter.id == event.newsletter_id) & (Newsletter.organization == event.organization_id)
    )


def order_view(order: Order) -> dict:
    event = order.event
    items = list(OrderItem.select(OrderItem, Product).join(Product).where(OrderItem.order == order.id))
    registrants = list(order.registrants.order_by(order.registrants.model.id))
    return {
        "order": order,
        "event": event,
        "items": items,
        "registrants": registrants,
        "holds": service.holds_seats(order),
        "gateways": gateways_for(event) if order.status == "pending" else [],
        "may_cancel": service.attendee_may_cancel(order),
        "may_edit": order.status in ("pending", "paid"),
    }
