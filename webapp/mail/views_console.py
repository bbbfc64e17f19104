"""Console: sending domains, an event's email settings and templates (with live preview), and
its automations."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.accounts.access import event_required, org_id, role_required
from webapp.events.models import Event
from webapp.events.pages import event_or_404
from webapp.guards import MAX_ROW_ID
from webapp.i18n import _, render_stored, stored_text
from webapp.mail import automations, content, defaults, domains, sandbox
from webapp.mail.forms import AutomationForm, DomainForm, EventMailSettingsForm, TemplateForm
from webapp.mail.models import Automation, SendingDomain
from webapp.templating import is_fragment_request

bp = Blueprint("mail", __name__, url_prefix="/console")


# --- Sending domains ------------------------------------------------------------------------------


@bp.route("/mail/domains", methods=["GET", "POST"])
@role_required("admin")
def console_domains():
    form = DomainForm()
    if form.validate_on_submit():
        try:
            row = domains.add_domain(g.org, form.domain.data, actor=current_user)
        except domains.DomainError as exc:
            form.domain.errors = [str(exc)]
        else:
            flash(
                _("%(domain)s added. Publish the two records below, then press Verify.", domain=row.domain), "success"
            )
            return redirect(url_for("mail.console_domains"), 303)
    rows = domains.domains_for(org_id())
    status = 422 if form.errors else 200
    return render_template("console/mail/domains.html", form=form, rows=rows, records=domains.records), status


@bp.route("/mail/domains/<int:domain_id>/verify", methods=["POST"])
@role_required("admin")
def domain_verify(domain_id: int):
    row = domains.verify(SendingDomain.get_for_org(org_id(), domain_id), actor=current_user)
    if is_fragment_request():
        return render_template("console/mail/_domain.html", row=row, records=domains.records)
    if row.verified:
        flash(_("%(domain)s is verified: emails from it are DKIM-signed.", domain=row.domain), "success")
    else:
        flash(
            " ".join(filter(None, [_("%(domain)s is not verified yet.", domain=row.domain), row.last_error])), "error"
        )
    return redirect(url_for("mail.console_domains"), 303)


@bp.route("/mail/domains/<int:domain_id>/delete", methods=["POST"])
@role_required("admin")
def domain_delete(domain_id: int):
    row = SendingDomain.get_for_org(org_id(), domain_id)
    domains.remove_domain(row, actor=current_user)
    flash(
        _("%(domain)s removed. Emails from it now go out from this instance's address.", domain=row.domain), "success"
    )
    return redirect(url_for("mail.console_domains"), 303)


# --- An event's emails ------------------------------------------------------------------------------


def _slot_name(event: Event, slot: str) -> str:
    """A readable name for the slot; 404 for a slot this event does not have."""
    if slot in defaults.SLOTS:
        return defaults.SLOTS[slot]
    kind, _, pk = slot.partition(":")
    if kind == "automation" and pk.isdigit() and len(pk) <= 10 and int(pk) <= MAX_ROW_ID:
        automation = Automation.get_or_none((Automation.id == int(pk)) & (Automation.event == event))
        if automation is not None:
            return render_stored(
                stored_text(
                    "Automation “%(automation)s” (%(rule)s)",
                    automation=automation.name,
                    rule=automations.describe(automation),
                )
            )
    abort(404)


@bp.route("/events/<int:event_id>/emails", methods=["GET", "POST"])
@event_required("manage")
def console_event_emails(event_id: int):
    event = event_or_404(event_id)
    current = content.mail_settings(event)
    form = EventMailSettingsForm(obj=current)
    if form.validate_on_submit():
        content.save_mail_settings(
            event,
            actor=current_user,
            sender_name=form.sender_name.data.strip(),
            sender_email=(form.sender_email.data or "").strip().lower(),
            reply_to=(form.reply_to.data or "").strip(),
            send_payment_email=form.send_payment_email.data,
            send_checkin_email=form.send_checkin_email.data,
        )
        flash(_("Email settings saved."), "success")
        return redirect(url_for("mail.console_event_emails", event_id=event.id), 303)
    sender_domain = domains.verified_domain(org_id(), current.sender_email) if current.sender_email else None
    slots = [
        {
            "slot": slot,
            "label": label,
            "custom": {lang: content.stored_template(event, slot, lang) is not None for lang in content.LANGUAGES},
        }
        for slot, label in defaults.SLOTS.items()
    ]
    return render_template(
        "console/mail/event_emails.html",
        event=event,
        form=form,
        slots=slots,
        languages=content.LANGUAGES,
        sender_domain=sender_domain,
        current=current,
    ), 422 if form.errors else 200


@bp.route("/events/<int:event_id>/emails/<slot>/<lang>", methods=["GET", "POST"])
@event_required("manage")
def console_template(event_id: int, slot: str, lang: str):
    event = event_or_404(event_id)
    label = _slot_name(event, slot)
    if lang not in content.LANGUAGES:
        abort(404)
    form = TemplateForm(data=content.template_parts(event, slot, lang)) if request.method == "GET" else TemplateForm()
    if form.validate_on_submit():
        try:
            content.save_template(
                event,
                slot,
                lang,
                subject=form.subject.data or "",
                html_body=form.html_body.data or "",
                text_body=form.text_body.data or "",
                actor=current_user,
            )
        except content.TemplateInvalid as exc:
            for name, message in exc.errors.items():
                getattr(form, name).errors = [message]
        else:
            flash(_("Template saved."), "success")
            return redirect(url_for("mail.console_template", event_id=event.id, slot=slot, lang=lang), 303)
    preview = content.preview(event, _parts(form), lang, slot=slot)
    return render_template(
        "console/mail/template.html",
        event=event,
        form=form,
        slot=slot,
        lang=lang,
        label=label,
        preview=preview,
        custom=content.stored_template(event, slot, lang) is not None,
        placeholders=sandbox.PLACEHOLDERS,
        back=url_for("mail.console_automations", event_id=event.id)
        if slot.startswith("automation:")
        else url_for("mail.console_event_emails", event_id=event.id),
    ), 422 if form.errors else 200


def _parts(form: TemplateForm) -> dict[str, str]:
    return {
        "subject": form.subject.data or "",
        "html_body": form.html_body.data or "",
        "text_body": form.text_body.data or "",
    }


@bp.route("/events/<int:event_id>/emails/<slot>/<lang>/preview", methods=["POST"])
@event_required("manage")
def template_preview(event_id: int, slot: str, lang: str):
    """The live preview (htmx): the email rendered with sample values, or what is broken."""
    event = event_or_404(event_id)
    _slot_name(event, slot)
    if lang not in content.LANGUAGES:
        abort(404)
    form = TemplateForm()
    return render_template("console/mail/_preview.html", preview=content.preview(event, _parts(form), lang, slot=slot))


@bp.route("/events/<int:event_id>/emails/<slot>/<lang>/reset", methods=["POST"])
@event_required("manage")
def template_reset(event_id: int, slot: str, lang: str):
    event = event_or_404(event_id)
    _slot_name(event, slot)
    content.reset_template(event, slot, lang, actor=current_user)
    flash(_("Back to the built-in template."), "success")
    return redirect(url_for("mail.console_template", event_id=event.id, slot=slot, lang=lang), 303)


# --- Automations ------------------------------------------------------------------------------------


@bp.route("/events/<int:event_id>/automations", methods=["GET", "POST"])
@event_required("manage")
def console_automations(event_id: int):
    event = event_or_404(event_id)
    form = AutomationForm()
    if form.validate_on_submit():
        try:
            automation = automations.create_automation(
                event,
                name=form.name.data,
                trigger=form.trigger.data,
                delay_minutes=form.delay_minutes,
                actor=current_user,
            )
        except automations.AutomationInvalid as exc:
            form.name.errors = list(exc.errors.values())
        else:
            flash(_("Automation “%(name)s” created. Adjust its email below.", name=automation.name), "success")
            return redirect(
                url_for("mail.console_template", event_id=event.id, slot=automation.slot, lang=content.LANGUAGES[0]),
                303,
            )
    rows = [
        {"automation": a, "describe": render_stored(automations.describe(a)), **automations.run_counts(a)}
        for a in automations.automations_for(event)
    ]
    return render_template(
        "console/mail/automations.html", event=event, form=form, rows=rows, languages=content.LANGUAGES
    ), 422 if form.errors else 200


@bp.route("/events/<int:event_id>/automations/<int:automation_id>", methods=["GET", "POST"])
@event_required("manage")
def automation_edit(event_id: int, automation_id: int):
    event = event_or_404(event_id)
    automation = Automation.get((Automation.id == automation_id) & (Automation.event == event))
    form = AutomationForm(obj=automation)
    if request.method == "GET":
        form.show_delay(automation.delay_minutes)
    if form.validate_on_submit():
        try:
            automations.update_automation(
                automation,
                name=form.name.data,
                trigger=form.trigger.data,
                delay_minutes=form.delay_minutes,
                active=form.active.data,
                actor=current_user,
            )
        except automations.AutomationInvalid as exc:
            form.name.errors = list(exc.errors.values())
        else:
            flash(_("Automation saved."), "success")
            return redirect(url_for("mail.console_automations", event_id=event.id), 303)
    return render_template(
        "console/mail/automation.html", event=event, form=form, automation=automation, languages=content.LANGUAGES
    ), 422 if form.errors else 200


@bp.route("/events/<int:event_id>/automations/<int:automation_id>/delete", methods=["POST"])
@event_required("manage")
def automation_delete(event_id: int, automation_id: int):
    event = event_or_404(event_id)
    automation = Automation.get((Automation.id == automation_id) & (Automation.event == event))
    automations.delete_automation(automation, actor=current_user)
    flash(_("Automation “%(name)s” deleted.", name=automation.name), "success")
    return redirect(url_for("mail.console_automations", event_id=event.id), 303)
