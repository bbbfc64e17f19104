"""Public checkout, waiting list and the attendee's order page (secret link), and what they show:
gathered from the request and the services, so templates only present."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from webapp.catalog.models import Product
from webapp.db import utcnow
from webapp.events.i18n import apply_event_locale
from webapp.events.models import Event
from webapp.events.service import find_public_event
from webapp.extensions import LANGUAGES
from webapp.orders import answers as answer_rules
from webapp.orders import capacity, checkout, pricing, service, waitlist
from webapp.orders.codes import new_checkout_token
from webapp.orders.models import Order, OrderItem, Registrant, WaitingListEntry
from webapp.payments.service import PaymentError, available_gateways, start_payment

bp = Blueprint("orders", __name__)
log = logging.getLogger("rollcall.orders")


def gateways_for(event: Event) -> list[tuple[str, str]]:
    return list(available_gateways(event.organization, event.currency))  # Midtrans takes IDR only


def access_from(event: Event, source) -> checkout.Access:
    """What the link or the posted form unlocks: hidden products, an invitation, an offer."""
    return checkout.find_access(
        event,
        product_keys=source.getlist("product"),
        invite_code=source.get("invite", ""),
        offer_token=source.get("offer", ""),
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
        return bool(self.event.invite_only and not self.access.offer and self.closed)

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
            gateways=gateways_for(event) if quote.total > 0 and not event.requires_approval else [],  # shown then only
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


def _event(org_slug: str, event_slug: str) -> Event:
    event = find_public_event(org_slug, event_slug)
    if event is None or event.status in ("draft", "archived"):
        abort(404)
    apply_event_locale(event)  # the event page's language, among those the event offers
    return event


@bp.app_template_global("orders_checkout")
def orders_checkout(event: Event) -> CheckoutPage:
    """What the registration partial shows, for the landing page that includes it."""
    return CheckoutPage.from_request(event)


def _render_checkout(event: Event, page: CheckoutPage, status: int = 200):
    template = "public/orders/_register.html" if request.headers.get("HX-Request") else "public/orders/register.html"
    return render_template(template, event=event, checkout=page), status


@bp.route("/e/<org_slug>/<event_slug>/register", methods=["GET", "POST"])
def register(org_slug: str, event_slug: str):
    event = _event(org_slug, event_slug)
    if request.method == "GET":
        return _render_checkout(event, CheckoutPage.from_request(event))
    try:
        submission = checkout.read_form(
            event, request.form, access=access_from(event, request.form), locale=str(get_locale() or "en"),
            gateways=lambda: [name for name, _ in gateways_for(event)],
        )  # fmt: skip
        order, created = checkout.place_order(submission)
    except checkout.CheckoutError as exc:
        # A form sent twice: its first submission took the last seat (or the invitation's last
        # use) and made the order this one would have made. Looked up only when refused.
        done = checkout.existing_order(request.form.get("checkout_token", ""))
        if done is not None and done.event_id == event.id:
            return redirect(url_for("orders.order_page", secret=done.secret), code=303)
        page = CheckoutPage.from_request(event)
        page.errors = exc.errors
        page.show_errors()
        return _render_checkout(event, page, 422)
    if created and order.status == "pending" and order.approval == "none" and order.gateway:
        return _to_gateway(order)
    return redirect(url_for("orders.order_page", secret=order.secret), code=303)


def _to_gateway(order: Order):
    try:
        return redirect(start_payment(order, order.gateway), code=303)
    except PaymentError as exc:  # a reason the attendee can act on, worded for them
        flash(str(exc), "error")
        return redirect(url_for("orders.order_page", secret=order.secret), code=303)
    except Exception:  # the gateway is down or refused: the order stays pending, pay again later
        log.exception("starting a %s payment for order %s failed", order.gateway, order.code)
        flash(_("We could not reach the payment provider. Your place is held: try again below."), "error")
        return redirect(url_for("orders.order_page", secret=order.secret), code=303)


@bp.route("/e/<org_slug>/<event_slug>/register/preview", methods=["POST"])
def preview(org_slug: str, event_slug: str):
    """The live part of the form (price, attendees, payment) for the current choices."""
    event = _event(org_slug, event_slug)
    page = CheckoutPage.from_request(event)
    return render_template("public/orders/_checkout_live.html", event=event, checkout=page)


@bp.route("/e/<org_slug>/<event_slug>/waiting-list", methods=["POST"])
def join_waitlist(org_slug: str, event_slug: str):
    event = _event(org_slug, event_slug)
    if event.invite_only:  # an offer lets its holder in: the list is for the invited
        abort(404)
    product = next((p for p in checkout.visible_products(event, checkout.Access()) if
                    p.id == request.form.get("product_id", type=int)), None)  # fmt: skip
    if product is None:
        abort(404)
    try:
        entry = waitlist.join(
            event, product, name=request.form.get("name", ""), email=request.form.get("email", ""),
            locale=str(get_locale() or "en"),
        )  # fmt: skip
    except waitlist.WaitlistError as exc:
        errors = exc.args[0]
        return render_template(
            "public/orders/_waitlist.html", event=event, product=product, errors=errors, values=request.form
        ), 422
    return render_template("public/orders/_waitlist.html", event=event, product=product, joined=entry)


@bp.route("/w/<token>")
def waitlist_offer(token: str):
    entry = WaitingListEntry.get_or_none(WaitingListEntry.token == token)
    if entry is None:
        abort(404)
    event = entry.event
    target = url_for("orders.register", org_slug=event.organization.slug, event_slug=event.slug, offer=token)
    if entry.status == "converted" and entry.order_id:
        return redirect(url_for("orders.order_page", secret=entry.order.secret))
    if entry.status != "offered" or entry.offer_expires_at <= utcnow():
        return render_template("public/orders/offer_gone.html", event=event, entry=entry), 410
    return redirect(target)


def _order(secret: str) -> Order:
    order = Order.get_or_none(Order.secret == secret)
    if order is None:
        abort(404)
    if request.args.get("lang") not in LANGUAGES:
        g.locale = order.locale  # the language the attendee registered in
    return order


@bp.route("/o/<secret>")
def order_page(secret: str):
    order = _order(secret)
    template = "public/orders/_order_status.html" if request.headers.get("HX-Request") else "public/orders/order.html"
    return render_template(template, **order_view(order))


@bp.route("/o/<secret>/pay", methods=["POST"])
def pay(secret: str):
    order = _order(secret)
    names = [name for name, _ in gateways_for(order.event)]
    gateway = request.form.get("gateway") or order.gateway
    if order.status != "pending" or order.approval == "pending" or not service.holds_seats(order):
        flash(_("This order cannot be paid any more."), "error")
        return redirect(url_for("orders.order_page", secret=secret), code=303)
    if gateway not in names:
        flash(_("Choose how you want to pay."), "error")
        return redirect(url_for("orders.order_page", secret=secret), code=303)
    if gateway != order.gateway:
        Order.update(gateway=gateway).where(Order.id == order.id).execute()
        order.gateway = gateway
    return _to_gateway(order)


@bp.route("/o/<secret>/cancel", methods=["POST"])
def cancel(secret: str):
    order = _order(secret)
    try:
        service.cancel_by_attendee(order)
    except service.OrderError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Your order is canceled."), "success")
    return redirect(url_for("orders.order_page", secret=secret), code=303)


@bp.route("/o/<secret>/attendees/<int:registrant_id>", methods=["GET", "POST"])
def edit_attendee(secret: str, registrant_id: int):
    order = _order(secret)
    registrant = Registrant.get_or_none((Registrant.id == registrant_id) & (Registrant.order == order.id))
    if registrant is None or registrant.canceled or order.status not in ("pending", "paid"):
        abort(404)
    per_attendee = answer_rules.questions_for(order.event)[1]
    formdata = request.form if request.method == "POST" else None
    form = answer_rules.edit_form(per_attendee, registrant.answers, formdata, locale=order.locale)
    errors, values = {}, request.form if request.method == "POST" else {}
    if request.method == "POST" and form.validate():
        from webapp.catalog.questions import answers_from_form

        try:
            service.update_registrant(
                registrant, name=request.form.get("name", ""), email=request.form.get("email", ""),
                answers=answers_from_form(form, per_attendee), actor=None, actor_label=f"attendee {order.buyer_email}",
                limit_per_email=True,
            )  # fmt: skip
        except service.OrderError as exc:
            errors[exc.field] = str(exc)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("orders.order_page", secret=secret), code=303)
    status = 422 if errors or form.errors else 200
    return render_template(
        "public/orders/attendee.html", order=order, event=order.event, registrant=registrant,
        form=form, errors=errors, values=values,
    ), status  # fmt: skip
