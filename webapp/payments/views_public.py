"""Public payment routes: gateway notifications (no login, no CSRF: the signature is the proof)
and our own payment pages for the gateways that have none (bank transfer, test gateway)."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for

from webapp.extensions import csrf
from webapp.orders.models import Order
from webapp.payments import gateway_settings, service
from webapp.payments.event_settings import bank_details_for
from webapp.payments.gateways.simulated import gateway as test_gateway

bp = Blueprint("payments_public", __name__)


@bp.post("/payments/<gateway_name>/notify/<int:org_id>")
@csrf.exempt
def notify(gateway_name: str, org_id: int):
    answer = service.handle_notification(
        gateway_name,
        org_id,
        request.get_data(cache=True),  # the raw bytes: signatures are computed over them
        dict(request.headers),
        request.remote_addr or "",
    )
    body = {"outcome": answer.outcome} if answer.status < 400 else {"error": answer.message}
    return jsonify(body), answer.status


@bp.get("/pay/<secret>/<gateway_name>")
def pay_page(secret: str, gateway_name: str):
    payment = service.pay_page_payment(secret, gateway_name)
    order = payment.order
    if gateway_name == "bank":
        return render_template(
            "public/payments/bank.html",
            order=order,
            payment=payment,
            bank=bank_details_for(order.organization_id, order.event_id),
            order_url=_order_url(order),
        )
    if gateway_name == "test" and _test_gateway_on(order.organization_id):
        return render_template("public/payments/test.html", order=order, payment=payment, order_url=_order_url(order))
    abort(404)


@bp.get("/pay/<secret>/return")
def return_from_gateway(secret: str):
    """Where Midtrans and Stripe send the attendee back: check the payment, then the order page."""
    order = Order.get_or_none(Order.secret == secret)
    if order is None:
        abort(404)
    service.check_on_return(order)
    return redirect(_order_url(order), 303)


@bp.post("/pay/<secret>/test")
def simulate(secret: str):
    payment = service.pay_page_payment(secret, "test")
    if not _test_gateway_on(payment.organization_id):
        abort(404)
    result = request.form.get("result")
    if result not in ("pay", "fail"):
        abort(400)
    if payment.is_open:
        body, headers = test_gateway.notification(payment, result)
        service.handle_notification("test", payment.organization_id, body, headers, request.remote_addr or "")
    return redirect(_order_url(payment.order), 303)


def _test_gateway_on(org_id: int) -> bool:
    # Offered by the installation and still enabled by the organization: turning it off also
    # stops attempts opened before from being "paid".
    return gateway_settings.is_enabled(org_id, test_gateway)


def _order_url(order) -> str:
    return url_for(service.ORDER_PAGE_ENDPOINT, secret=order.secret)
