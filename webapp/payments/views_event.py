"""Console: an event's own payment settings over the organization's (admins, like the
organization's payment settings: they decide where money goes)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.accounts.access import org_id, role_required
from webapp.events.pages import event_or_404
from webapp.i18n import _
from webapp.payments import event_settings
from webapp.payments.forms import EventPaymentForm
from webapp.payments.gateway_settings import SettingsInvalid, bank_settings, enabled_gateways

bp = Blueprint("event_payments", __name__, url_prefix="/console/events/<int:event_id>/payments")


def _form(override, submitted: bool) -> EventPaymentForm:
    if submitted:
        form = EventPaymentForm()
    else:
        data = {}
        if override is not None:
            data = {
                "own_gateways": override.gateways is not None,
                "gateways": override.gateways or [],
                "own_bank": override.has_bank,
                "account_holder": override.account_holder,
                "bank_name": override.bank_name,
                "instructions": override.instructions,
            }
        form = EventPaymentForm(formdata=None, data=data)
    form.gateways.choices = [(g.name, g.label) for g in enabled_gateways(org_id())]
    return form


@bp.route("/", methods=["GET", "POST"])
@role_required("admin")
def settings(event_id: int):
    event = event_or_404(event_id)
    override = event_settings.for_event(event.id)
    form = _form(override, submitted=request.method == "POST")
    if request.method == "POST" and form.validate_on_submit():
        try:
            event_settings.save(
                event,
                gateways=form.gateways.data if form.own_gateways.data else None,
                own_bank=form.own_bank.data,
                account_holder=form.account_holder.data or "",
                bank_name=form.bank_name.data or "",
                account_number=form.account_number.data or "",
                instructions=form.instructions.data or "",
                actor=current_user,
            )
        except SettingsInvalid as exc:
            for name, message in exc.errors.items():
                form[name].errors = [*form[name].errors, message]
        else:
            flash(_("Payment settings of the event saved."), "success")
            return redirect(url_for("event_payments.settings", event_id=event.id), code=303)
    form.account_number.data = ""  # never echo an account number back
    context = {
        "event": event,
        "form": form,
        "override": override,
        "org_bank": bank_settings(org_id()),
    }
    return render_template("console/payments/event.html", **context), 422 if request.method == "POST" else 200
