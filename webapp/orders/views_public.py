"""Public checkout, waiting list and the attendee's order page (secret link). What they show is
gathered in webapp/payments/checkout_page.py (it offers the payment methods)."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale

from webapp.catalog.questions import answers_from_form
from webapp.db import utcnow
from webapp.events import calendar
from webapp.events.i18n import apply_event_locale
from webapp.events.models import Event
from webapp.events.service import page_events
from webapp.events.text import localized, render_markdown
from webapp.extensions import LANGUAGES
from webapp.i18n import _
from webapp.orders import answers as answer_rules
from webapp.orders import checkout, invitations, lobby, service, waitlist
from webapp.orders.models import Invitation, Order, Registrant, WaitingListEntry
from webapp.payments.checkout_page import CheckoutPage, access_from, gateways_for, order_view
from webapp.payments.event_settings import bank_details_for
from webapp.payments.service import PaymentError, start_payment
from webapp.projects import service as projects
from webapp.storage import download
from webapp.templating import render_page
from webapp.tickets import wallet

bp = Blueprint("orders", __name__)
log = logging.getLogger("rollcall.orders")


def _event(org_slug: str, event_slug: str) -> Event:
    """The event as its landing page shows it (events.service.PageEvents: under a sale's rush the
    database is not asked for it on every form; an edit of the event shows within a quarter of a
    second, and the seats, the coupon's uses and the per-email limit are decided under the seat
    lock all the same)."""
    event = page_events().find(org_slug, event_slug)
    if event is None or event.status in ("draft", "archived"):
        abort(404)
    apply_event_locale(event)  # the event page's language, among those the event offers
    return event


def _render_checkout(event: Event, page: CheckoutPage, status: int = 200):
    return render_page(
        "public/orders/register.html", "public/orders/_register.html", status, event=event, checkout=page
    )


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
        return to_gateway(order)
    return redirect(url_for("orders.order_page", secret=order.secret), code=303)


def to_gateway(order: Order):
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
    live = render_template("public/orders/_checkout_live.html", event=event, checkout=page)
    # The coupon's answer goes beside its field, out of band: the live part sits further down.
    return live + render_template("public/orders/_coupon_feedback.html", event=event, checkout=page, oob=True)


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


@bp.route("/i/<code>/decline", methods=["GET", "POST"])
def decline_invitation(code: str):
    """The invitee says no from their invitation: a page that asks, a POST that records it."""
    invitation = Invitation.get_or_none(Invitation.code == code.strip().upper()[:32]) if len(code) <= 32 else None
    if invitation is None or not invitation.email or invitation.event.status in ("draft", "archived"):
        abort(404)
    event = invitation.event
    apply_event_locale(event)
    declined = invitation.declined_at is not None
    if request.method == "POST":
        if not invitations.decline(invitation):
            return render_template("public/orders/decline.html", event=event, invitation=invitation, gone=True), 410
        declined = True
    status = 200 if declined or invitations.can_decline(invitation) else 410
    return render_template(
        "public/orders/decline.html", event=event, invitation=invitation, declined=declined, gone=status == 410
    ), status


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
    bank_transfer = order.status == "pending" and order.gateway == "bank" and order.total > 0
    bank = bank_details_for(order.organization_id, order.event_id) if bank_transfer else None
    context = {**order_view(order), "bank_transfer": bank_transfer, "bank": bank, "wallet": wallet.offers(order)}
    context.update(_lobby_context(order))
    return render_page("public/orders/order.html", "public/orders/_order_status.html", **context)


def _lobby_context(order: Order) -> dict:
    """The lobby's parts of the order page (nothing when nobody in the order holds a ticket)."""
    room = lobby.for_order(order, project_ids=projects.project_ids_of_event(order.event_id))
    if room is None:
        return {"lobby": None}
    event, locale = order.event, str(get_locale() or "en")
    page_url = url_for("events_public.landing", org_slug=event.organization.slug, event_slug=event.slug,
                       _external=True)  # fmt: skip
    return {
        "lobby": room,
        "programme_html": render_markdown(localized(event, "description_md", locale)),
        "ics_url": url_for("events_public.calendar_file", org_slug=event.organization.slug, event_slug=event.slug),
        "google_calendar_url": calendar.google_calendar_url(event, page_url, locale),
    }


@bp.route("/o/<secret>/documents/<int:document_id>")
def lobby_document(secret: str, document_id: int):
    """A document of the lobby: the order's ticket holders' group must be allowed to see it, on
    every request (a link passed on stops working once the document is hidden or the order ends).
    A project's document shared with its participants reaches the ticket holders of its events."""
    order = _order(secret)
    document = lobby.document_for_order(order, document_id, projects.project_ids_of_event(order.event_id))
    if document is None:
        abort(404)
    try:
        return download(document.storage_key, document.content_type, document.filename)
    except FileNotFoundError:
        abort(404)


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
    return to_gateway(order)


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
