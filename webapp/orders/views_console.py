"""Operator pages for an event's orders, approvals, invitations and waiting list."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.accounts.access import event_required, org_id, owned, row_required
from webapp.catalog import groups as catalog_groups
from webapp.catalog.models import Product
from webapp.events.pages import event_or_404
from webapp.guards import page_number, row_id, safe_redirect_target, search_text
from webapp.i18n import _, _l
from webapp.mail import notify
from webapp.orders import invitations, service, waitlist
from webapp.orders.models import Invitation, Order, OrderItem, Registrant, WaitingListEntry
from webapp.orders.service import OrderError
from webapp.payments.service import PaymentError, mark_transfer_received, payments_of
from webapp.templating import is_fragment_request, render_page

bp = Blueprint("orders_console", __name__, url_prefix="/console")

PAGE_SIZE = 50


@bp.route("/events/<int:event_id>/orders")
@event_required("registrants")
def orders(event_id: int):
    event = event_or_404(event_id)
    query = Order.select().where((Order.organization == org_id()) & (Order.event == event.id))
    status = request.args.get("status", "")
    if status == "flagged":
        query = query.where(Order.flag.is_null(False))
    elif status:
        query = query.where(Order.status == status)
    search = search_text(request.args)
    if search:
        like = f"%{search}%"
        query = query.where(
            (Order.code == search.upper()) | Order.buyer_name.ilike(like) | Order.buyer_email.ilike(like)
        )
    page = page_number(request.args)
    total = query.count()
    rows = list(query.order_by(Order.created_at.desc(), Order.id.desc()).paginate(page, PAGE_SIZE))
    return render_page(
        "console/orders/orders.html", "console/orders/_order_rows.html",
        event=event, orders=rows, status=status, q=search, page=page, pages=max((total - 1) // PAGE_SIZE + 1, 1),
        total=total,
    )  # fmt: skip


def _order(order_id: int) -> Order:
    return Order.get_for_org(org_id(), order_id)


@bp.route("/orders/<int:order_id>")
@row_required("order_id", "registrants", owned(Order))
def order_detail(order_id: int):
    order = _order(order_id)
    items = list(OrderItem.select(OrderItem, Product).join(Product).where(OrderItem.order == order.id))
    registrants = list(Registrant.select().where(Registrant.order == order.id).order_by(Registrant.id))

    return render_template(
        "console/orders/order.html", order=order, event=order.event, items=items, registrants=registrants,
        holds=service.holds_seats(order), payments=payments_of(order),
    )  # fmt: skip


def _resend(order: Order, actor) -> None:

    if order.status != "paid":
        raise OrderError(_("Tickets are sent for paid orders only."))
    for registrant in order.registrants.where(Registrant.canceled == False):  # noqa: E712
        notify.resend_ticket(registrant, actor=actor)


def _mark_paid(order: Order, actor, gateway: str) -> None:
    """A bank transfer on a pending order is also recorded as a payment; an expired order (whose
    seats must be taken again) or cash at the door is marked paid directly."""

    if gateway == "bank" and order.status == "pending":
        try:
            mark_transfer_received(order, actor=actor)
        except PaymentError as exc:
            raise OrderError(str(exc)) from None
    else:
        service.mark_paid_manually(order, actor=actor, gateway=gateway)


ACTIONS = {
    "cancel": (
        lambda o, u: service.cancel_order(o, actor=u, reason=request.form.get("reason", "")),
        _l("Order canceled."),
    ),
    "refund": (lambda o, u: service.mark_refunded(o, actor=u), _l("Order marked refunded.")),
    "mark-paid": (lambda o, u: _mark_paid(o, u, request.form.get("gateway", "bank")), _l("Order marked paid.")),
    "approve": (lambda o, u: service.approve_order(o, actor=u), _l("Registration accepted.")),
    "decline": (lambda o, u: service.decline_order(o, actor=u), _l("Registration declined.")),
    "resend": (_resend, _l("Tickets sent again.")),
}


@bp.route("/orders/<int:order_id>/<action>", methods=["POST"])
@row_required("order_id", "registrants", owned(Order))
def order_action(order_id: int, action: str):
    order = _order(order_id)
    if action not in ACTIONS or (action == "mark-paid" and request.form.get("gateway", "bank") not in ("bank", "door")):
        abort(404)
    run, message = ACTIONS[action]
    try:
        run(order, current_user._get_current_object())
    except OrderError as exc:
        flash(str(exc), "error")
    else:
        flash(str(message), "success")
    back = safe_redirect_target(request.form.get("next"))
    if not back or not back.startswith("/console/"):
        back = url_for("orders_console.order_detail", order_id=order.id)
    return redirect(back, code=303)


@bp.route("/events/<int:event_id>/approvals")
@event_required("registrants")
def approvals(event_id: int):
    event = event_or_404(event_id)
    waiting = list(
        Order.select()
        .where((Order.event == event.id) & (Order.approval == "pending") & (Order.status == "pending"))
        .order_by(Order.created_at)
    )
    return render_template(
        "console/orders/approvals.html", event=event, orders=waiting, accepted=service.approved_count(event)
    )


@bp.route("/events/<int:event_id>/invitations", methods=["GET", "POST"])
@event_required("registrants")
def invitation_list(event_id: int):
    event = event_or_404(event_id)
    errors, result = {}, None
    if request.method == "POST":
        product_ids = request.form.getlist("product_ids", type=row_id)
        group_id = request.form.get("group_id", type=row_id)
        try:
            if request.files.get("csv") and request.files["csv"].filename:
                result = invitations.import_csv(event, request.files["csv"].read(), product_ids=product_ids,
                                                actor=current_user._get_current_object(), group_id=group_id)  # fmt: skip
                flash(_("%(n)s invitation(s) sent.", n=len(result.created)), "success")
            else:
                uses = request.form.get("max_uses", "1")
                invitation = invitations.create(
                    event, email=request.form.get("email", ""), name=request.form.get("name", ""),
                    product_ids=product_ids, max_uses=int(uses) if uses.isdigit() else 0,
                    actor=current_user._get_current_object(), group_id=group_id,
                )  # fmt: skip
                flash(_("Invitation %(code)s created.", code=invitation.code), "success")
                return redirect(url_for("orders_console.invitation_list", event_id=event.id), code=303)
        except invitations.InvitationError as exc:
            errors["form"] = str(exc)
    rows = list(Invitation.select().where(Invitation.event == event.id).order_by(Invitation.created_at.desc()))
    products = list(Product.select().where(Product.event == event.id).order_by(Product.position))
    status = 422 if errors else 200
    return render_template(
        "console/orders/invitations.html", event=event, invitations=rows, products=products, errors=errors,
        result=result, values=request.form, groups=catalog_groups.groups_of(event),
    ), status  # fmt: skip


@bp.route("/invitations/<int:invitation_id>/<action>", methods=["POST"])
@row_required("invitation_id", "registrants", owned(Invitation))
def invitation_action(invitation_id: int, action: str):
    invitation = Invitation.get_for_org(org_id(), invitation_id)
    try:
        if action == "resend":
            invitations.resend(invitation, actor=current_user._get_current_object())
            flash(_("Invitation sent again to %(email)s.", email=invitation.email), "success")
        elif action == "revoke":
            invitations.revoke(invitation, actor=current_user._get_current_object())
            flash(_("Invitation revoked."), "success")
        else:
            abort(404)
    except invitations.InvitationError as exc:
        flash(str(exc), "error")
    return redirect(url_for("orders_console.invitation_list", event_id=invitation.event_id), code=303)


@bp.route("/events/<int:event_id>/waiting-list")
@event_required("registrants")
def waiting_list(event_id: int):
    event = event_or_404(event_id)
    return render_page(
        "console/orders/waiting_list.html", "console/orders/_waiting_rows.html",
        event=event, entries=list(waitlist.waiting(event)),
    )  # fmt: skip


@bp.route("/waiting-list/<int:entry_id>/<action>", methods=["POST"])
@row_required("entry_id", "registrants", owned(WaitingListEntry))
def waiting_list_action(entry_id: int, action: str):
    entry = WaitingListEntry.get_for_org(org_id(), entry_id)
    actor = current_user._get_current_object()
    if action in ("up", "down"):
        waitlist.move(entry, -1 if action == "up" else 1, actor=actor)
    elif action == "remove":
        waitlist.remove(entry, actor=actor)
    else:
        abort(404)
    if is_fragment_request():
        return render_template(
            "console/orders/_waiting_rows.html", event=entry.event, entries=list(waitlist.waiting(entry.event))
        )
    return redirect(url_for("orders_console.waiting_list", event_id=entry.event_id), code=303)
