"""Ticket PDF downloads (the attendee's order page and the console) and the ticket settings page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.accounts.access import event_required, org_id, owned, row_required
from webapp.events.pages import event_or_404
from webapp.i18n import _
from webapp.orders.models import Order, Registrant
from webapp.templating import render_page
from webapp.tickets import order_pdf_jobs, service
from webapp.tickets.forms import TicketSettingsForm

bp = Blueprint("tickets", __name__)


def _pdf_response(pdf: bytes, filename: str, *, download: bool = True):
    disposition = "attachment" if download else "inline"
    return (
        pdf,
        200,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f'{disposition}; filename="{filename}"',
            "Cache-Control": "private, no-store",
            "X-Robots-Tag": "noindex",
        },
    )


def _order_by_secret(secret: str) -> Order:
    order = Order.get_or_none(Order.secret == secret)
    if order is None:
        abort(404)
    return order


def _download(render, filename: str):
    try:
        pdf = render()
    except service.NoTickets:
        abort(404, _("There is no valid ticket here: the order is unpaid, canceled or awaiting approval."))
    return _pdf_response(pdf, filename, download=request.args.get("inline") != "1")


# --- Public: the order page links here (the order secret is the key) ---------------------------


def _large_order_pdf(order: Order, *, user_id: int | None = None):
    """A large order's PDF when it is fresh; else the job building it (None for a small order)."""
    if not order_pdf_jobs.is_large(order):
        return None, None
    try:
        pdf = service.fresh_order_pdf(order)
    except service.NoTickets:
        abort(404, _("There is no valid ticket here: the order is unpaid, canceled or awaiting approval."))
    if pdf is not None:
        return _pdf_response(pdf, f"tickets-{order.code}.pdf", download=request.args.get("inline") != "1"), None
    return None, order_pdf_jobs.start(order, user_id=user_id)


@bp.route("/tickets/<secret>.pdf")
def order_pdf(secret: str):
    """The order's tickets in one PDF: at once for a small order; a large one's is built by a job
    meanwhile this page shows its progress."""
    order = _order_by_secret(secret)
    response, job = _large_order_pdf(order)
    if response is not None:
        return response
    if job is not None:
        return redirect(url_for("tickets.order_pdf_progress", secret=order.secret), 303)
    return _download(lambda: service.order_pdf(order), f"tickets-{order.code}.pdf")


@bp.route("/tickets/<secret>/building")
def order_pdf_progress(secret: str):
    """The buyer's view of their order's PDF being built; the fragment polls itself."""
    order = _order_by_secret(secret)
    job = order_pdf_jobs.current_job(order)
    if job is None:
        return redirect(url_for("tickets.order_pdf", secret=order.secret), 303)
    return render_page(
        "public/orders/tickets_pdf.html", "public/orders/_tickets_pdf.html", order=order, event=order.event, job=job
    )


@bp.route("/tickets/<secret>/<int:registrant_id>.pdf")
def registrant_pdf(secret: str, registrant_id: int):
    order = _order_by_secret(secret)
    registrant = Registrant.get_or_none((Registrant.id == registrant_id) & (Registrant.order == order))
    if registrant is None:
        abort(404)
    return _download(lambda: service.registrant_pdf(registrant), f"ticket-{order.code}-{registrant.id}.pdf")


# --- Console ------------------------------------------------------------------------------------


@bp.route("/console/orders/<int:order_id>/tickets.pdf")
@row_required("order_id", "registrants", owned(Order))
def console_order_pdf(order_id: int):
    order = Order.get_for_org(org_id(), order_id)
    event_or_404(order.event_id)
    response, job = _large_order_pdf(order, user_id=current_user.id)
    if response is not None:
        return response
    if job is not None:
        return redirect(url_for("console.job_progress", job_id=job.id), 303)
    return _download(lambda: service.order_pdf(order), f"tickets-{order.code}.pdf")


@bp.route("/console/registrants/<int:registrant_id>/ticket.pdf")
@row_required("registrant_id", "registrants", owned(Registrant))
def console_registrant_pdf(registrant_id: int):
    registrant = Registrant.get_for_org(org_id(), registrant_id)
    return _download(lambda: service.registrant_pdf(registrant), f"ticket-{registrant.order.code}-{registrant.id}.pdf")


@bp.route("/console/events/<int:event_id>/tickets", methods=["GET", "POST"])
@event_required("manage")
def console_settings(event_id: int):
    event = event_or_404(event_id)
    current = service.settings_for(event)
    form = TicketSettingsForm(obj=current)
    if form.validate_on_submit():
        service.update_settings(
            event,
            page_size=form.page_size.data,
            show_price=form.show_price.data,
            note=form.note.data or "",
            actor=current_user,
        )
        flash(_("Ticket settings saved. Tickets are generated again with the new layout."), "success")
        return redirect(url_for("tickets.console_settings", event_id=event.id), 303)
    status = 422 if form.errors else 200
    return render_template("console/tickets/settings.html", event=event, form=form), status


@bp.route("/console/events/<int:event_id>/tickets/preview.pdf")
@event_required("manage")
def console_preview(event_id: int):
    event = event_or_404(event_id)
    return _pdf_response(service.preview_pdf(event), f"ticket-preview-{event.slug}.pdf", download=False)
