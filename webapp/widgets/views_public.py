"""The website widgets: an event's registration form and its self check-in form, framed by the
organization's own websites (docs/widgets.md).

Each answer here may be framed by the organization's allow-list only (`allow_framing`); every
other answer of the app refuses framing. A framed page on another site gets no session cookie
(SameSite, and browsers that block third-party cookies), so these forms never use the session:
CSRF protection is a signed token in the form itself (webapp/widgets/service.py), and the
checkout token keeps a double submit to one order. Payment happens in a new top-level tab, since
gateways refuse to be framed; the widget asks for the order's state until it is settled."""

from __future__ import annotations

import logging
import re

from flask import Blueprint, abort, g, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from werkzeug.exceptions import default_exceptions

from webapp import errors
from webapp.accounts.models import Organization
from webapp.api import ratelimit
from webapp.events.i18n import apply_event_locale
from webapp.events.models import Event
from webapp.events.service import find_public_event
from webapp.extensions import csrf
from webapp.i18n import _
from webapp.orders import checkout, service
from webapp.orders.models import Order
from webapp.orders.views_public import to_gateway
from webapp.payments.checkout_page import CheckoutPage, access_from, gateways_for, order_view
from webapp.runtime import settings
from webapp.security import allow_framing, allow_framing_anywhere
from webapp.templating import is_fragment_request
from webapp.widgets import service as widgets

bp = Blueprint("widgets", __name__)
csrf.exempt(bp)  # the forms carry a signed token instead of the session's (see above)
log = logging.getLogger("rollcall.widgets")

CHECKINS_PER_MINUTE = 10  # per event and client address: enough for a family, not for guessing
# A form's address, /widget/<org>/<event>/... (not an order's, /widget/o/<secret>/...).
UNDER_ORG = re.compile(r"^/widget/(?!o/)(?P<org>[^/]+)/[^/]+/")


def _event(org_slug: str, event_slug: str) -> Event:
    event = find_public_event(org_slug, event_slug)
    if event is None or event.status not in ("published", "closed"):
        abort(404)
    apply_event_locale(event)
    g.widget_org_id = event.organization_id
    return event


def _parent() -> str:
    """The framing page's origin, when it is one the organization allows ("" otherwise: the
    frame then sends no messages)."""
    parent = request.args.get("parent", "")
    return parent if parent in _origins() else ""


def _origins() -> list[str]:
    if "widget_origins" not in g:
        g.widget_origins = widgets.allowed_origins(g.widget_org_id)
    return g.widget_origins


def _framed(template: str, status: int = 200, **context):
    """A widget page: framed by the allow-list, never stored by a cache (it holds tokens)."""
    context.setdefault("parent", _parent())
    response = make_response(render_template(template, **context), status)
    allow_framing(response, _origins())
    response.headers["Cache-Control"] = "no-store"
    return response


def _checkout(event: Event, page: CheckoutPage, status: int = 200):
    parent = _parent()
    args = {"org_slug": event.organization.slug, "event_slug": event.slug}
    return _framed(
        "widget/register.html", status, event=event, org=event.organization, checkout=page, parent=parent,
        widget_token=widgets.form_token("register", event.id, page.token),
        widget_form_url=url_for("widgets.register", **args, parent=parent or None),
        widget_preview_url=url_for("widgets.preview", **args),
    )  # fmt: skip


@bp.route("/widget/<org_slug>/<event_slug>/register", methods=["GET", "POST"])
def register(org_slug: str, event_slug: str):
    event = _event(org_slug, event_slug)
    if request.method == "GET":
        return _checkout(event, CheckoutPage.from_request(event))
    token = request.form.get("checkout_token", "")
    if not widgets.token_valid(request.form.get("widget_token", ""), "register", event.id, token):
        page = CheckoutPage.from_request(event)
        page.errors = {"": _("The form expired. Reload the page and try again.")}
        return _checkout(event, page, 422)
    try:
        submission = checkout.read_form(
            event, request.form, access=access_from(event, request.form), locale=str(get_locale() or "en"),
            gateways=lambda: [name for name, _ in gateways_for(event)],
        )  # fmt: skip
        order, _created = checkout.place_order(submission)
    except checkout.CheckoutError as exc:
        done = checkout.existing_order(token)  # the same form sent twice
        if done is not None and done.event_id == event.id:
            return redirect(url_for("widgets.order", secret=done.secret, parent=_parent() or None), code=303)
        page = CheckoutPage.from_request(event)
        page.errors = exc.errors
        page.show_errors()
        return _checkout(event, page, 422)
    return redirect(url_for("widgets.order", secret=order.secret, parent=_parent() or None), code=303)


@bp.route("/widget/<org_slug>/<event_slug>/register/preview", methods=["POST"])
def preview(org_slug: str, event_slug: str):
    """The live part of the form (price, attendees, payment) for the current choices."""
    event = _event(org_slug, event_slug)
    page = CheckoutPage.from_request(event)
    live = render_template("public/orders/_checkout_live.html", event=event, checkout=page)
    feedback = render_template("public/orders/_coupon_feedback.html", event=event, checkout=page, oob=True)
    response = make_response(live + feedback)
    allow_framing(response, _origins())
    return response


def _order(secret: str) -> Order:
    order = Order.get_or_none(Order.secret == secret)
    if order is None:
        abort(404)
    g.widget_org_id = order.organization_id
    g.locale = order.locale
    return order


@bp.route("/widget/o/<secret>")
def order(secret: str):
    """The outcome inside the frame: registered, waiting for approval, or the payment to make
    (in a new tab) and then its result."""
    order = _order(secret)
    context = order_view(order)
    template = "widget/_order_status.html" if is_fragment_request() else "widget/order.html"
    return _framed(
        template, **context, org=order.event.organization,
        order_url=settings().base_url + url_for("orders.order_page", secret=order.secret),
        pay_token=widgets.form_token("pay", order.id),
    )  # fmt: skip


@bp.route("/widget/o/<secret>/pay", methods=["POST"])
def pay(secret: str):
    """Opened in a new top-level tab by the widget's Pay button: on to the gateway, whose return
    address is the order page."""
    order = _order(secret)
    if not widgets.token_valid(request.form.get("widget_token", ""), "pay", order.id):
        abort(400, _("The form expired. Reload the page and try again."))
    gateway = request.form.get("gateway") or order.gateway
    if order.status != "pending" or order.approval == "pending" or not service.holds_seats(order):
        return redirect(url_for("orders.order_page", secret=secret), code=303)
    if gateway not in [name for name, _ in gateways_for(order.event)]:
        return redirect(url_for("orders.order_page", secret=secret), code=303)
    if gateway != order.gateway:
        Order.update(gateway=gateway).where(Order.id == order.id).execute()
        order.gateway = gateway
    return to_gateway(order)


@bp.route("/widget/<org_slug>/<event_slug>/checkin", methods=["GET", "POST"])
def self_checkin(org_slug: str, event_slug: str):
    """The self check-in kiosk: an email address or a ticket code, answered "checked in" or
    "not found" and nothing more."""
    event = _event(org_slug, event_slug)
    if not widgets.self_checkin_enabled(event):
        return _framed(
            "widget/unavailable.html", 404, event=event, org=event.organization,
            message=_("Self check-in is not open for this event. Please see the organizers at the entrance."),
        )  # fmt: skip
    context = {"event": event, "org": event.organization, "checkin_token": widgets.form_token("checkin", event.id)}
    if request.method == "GET":
        return _framed("widget/checkin.html", **context)
    if not widgets.token_valid(request.form.get("widget_token", ""), "checkin", event.id):
        return _framed("widget/checkin.html", 422, outcome="expired", **context)
    who = request.form.get("who", "").strip()
    if not who:
        return _framed("widget/checkin.html", 422, error=_("Enter your email address or ticket code."), **context)
    verdict = ratelimit.hit_named(f"widget-checkin:{event.id}:{request.remote_addr}", CHECKINS_PER_MINUTE)
    if not verdict.allowed:
        response = _framed("widget/checkin.html", 429, outcome="limited", **context)
        response.headers["Retry-After"] = str(verdict.retry_after)
        return response
    admitted = widgets.self_checkin(event, who)
    return _framed("widget/checkin.html", outcome="checked_in" if admitted else "not_found", **context)


# --- Errors inside the frame ----------------------------------------------------------------------


@bp.record_once
def _error_pages(state) -> None:
    errors.add_error_page(state.app, "/widget/", _error_page)


def _error_page(status: int, message: str):
    """An error under /widget/ (an event gone, a form too old, too many attempts) as a page the
    frame shows instead of the browser's refusal to frame: framed by the organization's
    allow-list when the address names the organization, else a bare message any site may frame."""
    org = _organization_of_error()
    default = default_exceptions.get(status)
    shown = "" if default is not None and message in (default.description, default().name) else message
    response = make_response(
        render_template("widget/error.html", status=status, message=shown, org=org, parent=_parent() if org else ""),
        status,
    )
    if org is not None:
        allow_framing(response, _origins())
    else:
        allow_framing_anywhere(response)
    response.headers["Cache-Control"] = "no-store"
    return response


def _organization_of_error() -> Organization | None:
    org_id = g.get("widget_org_id")
    if org_id is None:
        under_org = UNDER_ORG.match(request.path)
        found = under_org and Organization.get_or_none(Organization.slug == under_org["org"][:80])
        if not found:
            return None
        g.widget_org_id = org_id = found.id
    return Organization.get_or_none(Organization.id == org_id)
