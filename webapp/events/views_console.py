"""Console: event list, set-up, registration settings, status, cover and languages."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp import timeutil
from webapp.events import forms, service, text, translations
from webapp.events.models import EVENT_STATUSES, Event
from webapp.events.translation_form import translation_form
from webapp.security import org_id, role_required

bp = Blueprint("events", __name__, url_prefix="/console/events")


def apply_field_error(form, exc: service.FieldError) -> None:
    """Put a service's FieldError beside its field (or on top of the form)."""
    field = getattr(form, exc.field, None)
    if field is not None and hasattr(field, "errors"):
        field.errors = list(field.errors) + [exc.message]
    else:
        form.form_errors.append(exc.message)


def local(value, tz):
    local_value = timeutil.to_local(value, tz)
    return local_value.replace(tzinfo=None) if local_value else None


def get_event(event_id: int) -> Event:
    return Event.get_for_org(org_id(), event_id)


@bp.app_template_filter("markdown")
def _markdown_filter(value):
    return text.render_markdown(value)


@bp.route("/")
@role_required("manager")
def console_list():
    status = request.args.get("status", "")
    query = Event.for_org(org_id())
    if status in EVENT_STATUSES:
        query = query.where(Event.status == status)
    else:
        status = ""
        query = query.where(Event.status != "archived")
    events = list(query.order_by(Event.starts_at.desc()))
    template = "console/events/_list_rows.html" if request.headers.get("HX-Request") else "console/events/list.html"
    return render_template(template, events=events, status=status, statuses=EVENT_STATUSES)


@bp.route("/markdown-preview", methods=["POST"])
@role_required("manager")
def console_markdown_preview():
    """The description as attendees will see it (sanitized), for the editor's Preview button."""
    source = request.form.get("description_md") or request.form.get("event_description_md") or ""
    return render_template("console/events/_markdown_preview.html", html=text.render_markdown(source[:50000]))


@bp.route("/new", methods=["GET", "POST"])
@role_required("manager")
def console_new():
    from webapp.accounts.models import Organization

    org = Organization.get_by_id(org_id())
    form = forms.NewEventForm(
        data=None if request.method == "POST" else {"timezone": org.timezone, "currency": org.currency}
    )
    if form.validate_on_submit():
        try:
            event = service.create_event(org, form.data, actor=current_user)
        except service.FieldError as exc:
            apply_field_error(form, exc)
        else:
            flash(f"Event “{event.name}” created as a draft. Add ticket types, then publish it.", "success")
            return redirect(url_for("catalog.products", event_id=event.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("console/events/new.html", form=form), status


def _details_data(event: Event) -> dict:
    return {
        "name": event.name,
        "slug": event.slug,
        "summary": event.summary,
        "description_md": event.description_md,
        "timezone": event.timezone,
        "starts_at": local(event.starts_at, event.timezone),
        "ends_at": local(event.ends_at, event.timezone),
        "venue_name": event.venue_name,
        "venue_address": event.venue_address,
        "online_url": event.online_url,
        "tags": ", ".join(event.tags or []),
        "currency": event.currency,
    }


@bp.route("/<int:event_id>", methods=["GET", "POST"])
@role_required("manager")
def console_edit(event_id: int):
    event = get_event(event_id)
    form = forms.EventForm(data=None if request.method == "POST" else _details_data(event))
    if form.validate_on_submit():
        try:
            changes = service.update_event(event, form.data, actor=current_user)
        except service.FieldError as exc:
            apply_field_error(form, exc)
        else:
            flash("Saved." if changes else "Nothing changed.", "success")
            return redirect(url_for("events.console_edit", event_id=event.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "console/events/edit.html", event=event, form=form, cover_form=forms.CoverForm(), **_status_context(event)
    ), status


def _status_context(event: Event) -> dict:
    return {"transitions": service.allowed_transitions(event), "status_form": forms.StatusForm()}


@bp.route("/<int:event_id>/registration", methods=["GET", "POST"])
@role_required("manager")
def console_registration(event_id: int):
    event = get_event(event_id)
    tz = event.timezone
    initial = {
        "opens_at": local(event.registration_opens_at, tz),
        "closes_at": local(event.registration_closes_at, tz),
        "cancel_allowed_until": local(event.cancel_allowed_until, tz),
        "capacity": event.capacity,
        "max_tickets_per_order": event.max_tickets_per_order,
        "invite_only": event.invite_only,
        "requires_approval": event.requires_approval,
        "approval_limit": event.approval_limit,
    }
    form = forms.RegistrationForm(data=None if request.method == "POST" else initial)
    if form.validate_on_submit():
        try:
            changes = service.update_registration(event, form.data, actor=current_user)
        except service.FieldError as exc:
            apply_field_error(form, exc)
        else:
            flash("Registration settings saved." if changes else "Nothing changed.", "success")
            return redirect(url_for("events.console_registration", event_id=event.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("console/events/registration.html", event=event, form=form), status


@bp.route("/<int:event_id>/status", methods=["POST"])
@role_required("manager")
def console_status(event_id: int):
    event = get_event(event_id)
    form = forms.StatusForm()
    error = None
    if form.validate_on_submit():
        try:
            service.set_status(event, form.status.data, actor=current_user)
        except service.FieldError as exc:
            error = exc.message
    else:
        error = "Choose what to do with the event."
    if error and request.headers.get("HX-Request"):
        context = {"event": event, "status_error": error, **_status_context(event)}
        return render_template("console/events/_status.html", **context), 422
    flash(error or f"The event is now {event.status}.", "error" if error else "success")
    target = url_for("events.console_edit", event_id=event.id)
    if request.headers.get("HX-Request"):  # the status shows all over the page: load it again
        return "", 200, {"HX-Redirect": target}
    return redirect(target, code=303)


@bp.route("/<int:event_id>/cover", methods=["POST"])
@role_required("manager")
def console_cover(event_id: int):
    event = get_event(event_id)
    cover_form = forms.CoverForm()
    if cover_form.validate_on_submit():
        try:
            service.set_cover(event, cover_form.cover.data.read(), current_app.instance_path, actor=current_user)
        except service.FieldError as exc:
            apply_field_error(cover_form, exc)
        else:
            flash("Cover image saved.", "success")
            return redirect(url_for("events.console_edit", event_id=event.id), code=303)
    form = forms.EventForm(data=_details_data(event))
    return render_template(
        "console/events/edit.html", event=event, form=form, cover_form=cover_form, **_status_context(event)
    ), 422


@bp.route("/<int:event_id>/cover/delete", methods=["POST"])
@role_required("manager")
def console_cover_delete(event_id: int):
    event = get_event(event_id)  # CSRFProtect has checked the token of every POST
    service.remove_cover(event, current_app.instance_path, actor=current_user)
    flash("Cover image removed.", "success")
    return redirect(url_for("events.console_edit", event_id=event.id), code=303)


@bp.route("/<int:event_id>/languages", methods=["GET", "POST"])
@role_required("manager")
def console_languages(event_id: int):
    event = get_event(event_id)
    languages = event.languages or ["en"]
    form = forms.LanguagesForm(
        data=None if request.method == "POST" else {"main": languages[0], "languages": languages}
    )
    if form.validate_on_submit():
        chosen = [form.main.data] + [code for code in form.languages.data if code != form.main.data]
        try:
            service.set_languages(event, chosen, actor=current_user)
        except service.FieldError as exc:
            apply_field_error(form, exc)
        else:
            flash("Languages saved.", "success")
            return redirect(url_for("events.console_languages", event_id=event.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "console/events/languages.html", event=event, form=form, language_names=service.LANGUAGES
    ), status


@bp.route("/<int:event_id>/languages/<locale>", methods=["GET", "POST"])
@role_required("manager")
def console_translation(event_id: int, locale: str):
    """Every operator text of the event (details, products, questions) in one other language."""
    event = get_event(event_id)
    if locale not in (event.languages or [])[1:]:
        return redirect(url_for("events.console_languages", event_id=event.id))
    products, questions = translations.translatable_rows(event)
    formdata = request.form if request.method == "POST" else None
    form = translation_form(event, products, questions, locale, formdata=formdata)
    if request.method == "POST" and form.validate():
        try:
            translations.save_translations(event, locale, form.texts(), actor=current_user)
        except service.FieldError as exc:
            apply_field_error(form, exc)
        else:
            flash(f"{service.LANGUAGES[locale]} texts saved.", "success")
            return redirect(url_for("events.console_translation", event_id=event.id, locale=locale), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "console/events/translation.html",
        event=event,
        form=form,
        locale=locale,
        language_name=service.LANGUAGES[locale],
        products=products,
        questions=questions,
    ), status
