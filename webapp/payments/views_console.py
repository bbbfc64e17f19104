"""Console: payment settings (admins), the notification log, and the payments of an event or
an order with the operator's actions (bank transfer received, check status now)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.accounts.access import org_id, owned, role_required, row_required
from webapp.events.pages import event_or_404
from webapp.guards import page_number, safe_redirect_target
from webapp.i18n import _
from webapp.orders.models import Order
from webapp.payments import gateway_settings, gateways, service
from webapp.payments.forms import BankForm, gateway_form
from webapp.payments.models import PAYMENT_STATES, Payment, PaymentNotification
from webapp.templating import is_fragment_request, render_page

bp = Blueprint("payments", __name__, url_prefix="/console/payments")

PAGE_SIZE = 50
GATEWAY_CARD = "console/payments/_gateway_card.html"
BANK_CARD = "console/payments/_bank_card.html"


# --- Settings -----------------------------------------------------------------------------------


def _gateway_card(gateway, form=None, saved=False) -> dict:
    settings_row = gateway_settings.row(org_id(), gateway.name)
    return {
        "gateway": gateway,
        "form": form or gateway_form(gateway, settings_row),
        "stored": settings_row,
        "ready": gateway_settings.is_enabled(org_id(), gateway),
        "notify_url": service.external_url("payments_public.notify", gateway_name=gateway.name, org_id=org_id()),
        "saved": saved,
    }


def _bank_card(form=None, saved=False) -> dict:
    stored = gateway_settings.bank_settings(org_id())
    if form is None:
        data = (
            {
                "account_holder": stored.account_holder,
                "bank_name": stored.bank_name,
                "instructions": stored.instructions,
            }
            if stored
            else {}
        )
        form = BankForm(formdata=None, data=data, prefix="bank_account")
    return {"form": form, "stored": stored, "saved": saved}


def _settings_page(status: int = 200, *, gateway_card: dict | None = None, bank_card: dict | None = None, error=None):
    cards = [
        gateway_card if gateway_card and gateway_card["gateway"] is g else _gateway_card(g) for g in gateways.offered()
    ]
    bank = bank_card or _bank_card()
    return render_template("console/payments/settings.html", cards=cards, bank=bank, error=error), status


@bp.get("/")
@role_required("admin")
def console_settings():
    return _settings_page()


def _settings_answer(template: str, card: dict, status: int, message: str, **page):
    """htmx swaps the card alone; without htmx: the page again with the errors (422), or back to
    it with a message (303)."""
    if is_fragment_request():
        return render_template(template, **card), status
    if status == 422:
        return _settings_page(422, error=message, **page)
    flash(message, "success")
    return redirect(url_for("payments.console_settings"), 303)


@bp.post("/gateways/<gateway_name>")
@role_required("admin")
def save_gateway(gateway_name: str):
    gateway = {g.name: g for g in gateways.offered()}.get(gateway_name)
    if gateway is None:
        abort(404)
    form = gateway_form(gateway, submitted=True)
    if form.validate():
        secrets = {spec.name: form[spec.name].data or "" for spec in gateway.secret_fields}
        forget = {spec.name for spec in gateway.secret_fields if not spec.required and form[f"forget_{spec.name}"].data}
        try:
            gateway_settings.save_gateway(
                org_id(),
                gateway.name,
                enabled=form.enabled.data,
                mode=form.mode.data if gateway.has_modes else "production",
                new_secrets=secrets,
                forget=forget,
                actor=current_user,
            )
        except gateway_settings.SettingsInvalid as exc:
            for name, message in exc.errors.items():
                form[name].errors = [message]
        else:
            return _settings_answer(
                GATEWAY_CARD, _gateway_card(gateway, saved=True), 200, _("%(gateway)s: saved.", gateway=gateway.brand)
            )
    card = _gateway_card(gateway, form)
    return _settings_answer(
        GATEWAY_CARD,
        card,
        422,
        _("%(gateway)s: check the fields marked below.", gateway=gateway.brand),
        gateway_card=card,
    )


@bp.post("/bank")
@role_required("admin")
def save_bank():
    form = BankForm(prefix="bank_account")
    if form.validate():
        try:
            gateway_settings.save_bank(
                org_id(),
                account_holder=form.account_holder.data or "",
                bank_name=form.bank_name.data or "",
                account_number=form.account_number.data or "",
                instructions=form.instructions.data or "",
                actor=current_user,
            )
        except gateway_settings.SettingsInvalid as exc:
            for name, message in exc.errors.items():
                form[name].errors = [message]
        else:
            return _settings_answer(BANK_CARD, _bank_card(saved=True), 200, "Bank account saved.")
    form.account_number.data = ""  # never echo an account number back
    card = _bank_card(form)
    return _settings_answer(BANK_CARD, card, 422, "Bank account: check the fields marked below.", bank_card=card)


# --- Notification log ---------------------------------------------------------------------------


@bp.get("/notifications")
@role_required("manager")
def console_notifications():
    query = PaymentNotification.for_org(org_id())
    gateway, outcome = request.args.get("gateway", ""), request.args.get("outcome", "")
    if gateway:
        query = query.where(PaymentNotification.gateway == gateway)
    if outcome == "problems":
        query = query.where(PaymentNotification.http_status >= 400)
    elif outcome:
        query = query.where(PaymentNotification.outcome == outcome)
    page = page_number(request.args)
    rows = list(
        query.order_by(PaymentNotification.received_at.desc(), PaymentNotification.id.desc()).paginate(
            page, PAGE_SIZE + 1
        )
    )
    context = {
        "notifications": rows[:PAGE_SIZE],
        "page": page,
        "has_next": len(rows) > PAGE_SIZE,
        "gateway": gateway,
        "outcome": outcome,
        "gateway_names": [g.name for g in gateways.registry().values() if g.receives_notifications],
    }
    return render_page("console/payments/notifications.html", "console/payments/_notification_rows.html", **context)


# --- Payments of an event and of an order -------------------------------------------------------


@bp.get("/events/<int:event_id>")
@role_required("manager")
def console_event_payments(event_id: int):
    event = event_or_404(event_id)
    query = (
        Payment.select(Payment, Order).join(Order).where((Payment.organization == org_id()) & (Order.event == event))
    )
    state = request.args.get("state", "")
    if state == "flagged":
        query = query.where(Payment.flag.is_null(False))
    elif state in PAYMENT_STATES:
        query = query.where(Payment.state == state)
    page = page_number(request.args)
    rows = list(query.order_by(Payment.created_at.desc(), Payment.id.desc()).paginate(page, PAGE_SIZE + 1))
    context = {
        "event": event,
        "payments": rows[:PAGE_SIZE],
        "page": page,
        "has_next": len(rows) > PAGE_SIZE,
        "state": state,
    }
    return render_page(
        "console/payments/event_payments.html",
        "console/payments/_event_payment_rows.html",
        states=PAYMENT_STATES,
        **context,
    )


@bp.get("/orders/<int:order_id>")
@row_required("order_id", "registrants", owned(Order))
def order_payments(order_id: int):
    order = Order.get_for_org(org_id(), order_id)
    return render_template("console/payments/_order_payments.html", order=order)


@bp.post("/orders/<int:order_id>/transfer-received")
@row_required("order_id", "registrants", owned(Order))
def mark_transfer_received(order_id: int):
    order = Order.get_for_org(org_id(), order_id)
    try:
        service.mark_transfer_received(order, actor=current_user)
    except service.PaymentError as exc:
        return _after_action(order, str(exc), "error")
    order = Order.get_by_id(order.id)
    return _after_action(order, _("Order %(code)s is marked paid by bank transfer.", code=order.code), "success")


@bp.post("/<int:payment_id>/refresh")
@row_required("payment_id", "registrants", owned(Payment, event=Order.event, join=Order))
def refresh(payment_id: int):
    payment = Payment.get_for_org(org_id(), payment_id)
    try:
        outcome = service.refresh_status(payment)
    except service.PaymentError as exc:
        return _after_action(payment.order, str(exc), "error")
    message = (
        _("No change.")
        if outcome in ("unchanged", "duplicate", "stale")
        else _("Updated: %(outcome)s.", outcome=outcome.replace("_", " "))
    )
    return _after_action(Order.get_by_id(payment.order_id), message, "success")


def _after_action(order: Order, message: str, category: str):
    if is_fragment_request():
        html = render_template(
            "console/payments/_order_payments.html",
            order=order,
            message=message,
            category=category,
            mark_paid_button=request.form.get("mark_paid_button") != "0",
        )
        return html  # the message shows inside the swapped fragment, errors included
    flash(message, category)
    back = safe_redirect_target(request.form.get("next"))
    return redirect(back or url_for("payments.console_event_payments", event_id=order.event_id), 303)
