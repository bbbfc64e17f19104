"""Console: event list, set-up, registration settings, status, cover and languages."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.accounts.access import event_required, events_reader_required, granted_event_ids, org_id, role_required
from webapp.catalog import translations
from webapp.catalog.translation_form import translation_form
from webapp.events import forms, service, staff, text
from webapp.events.models import EVENT_STATUSES, Event
from webapp.events.pages import apply_field_error, event_or_404, form_page, initial, local, saved
from webapp.i18n import _, _l
from webapp.templating import is_fragment_request, render_page

STATUS_NOW = {
    "draft": _l("The event is now a draft."),
    "published": _l("The event is now published."),
    "closed": _l("The event is now closed."),
    "archived": _l("The event is now archived."),
}

bp = Blueprint("events", __name__, url_prefix="/console/events")


@bp.app_template_filter("markdown")
def _markdown_filter(value):
    return text.render_markdown(value)


@bp.route("/")
@events_reader_required
def console_list():
    status = request.args.get("status", "")
    query = Event.for_org(org_id())
    reachable = granted_event_ids("participants")
    if reachable is not None:  # a member with grants only: their events, no others
        query = query.where(Event.id.in_(reachable or [0]))
    if status in EVENT_STATUSES:
        query = query.where(Event.status == status)
    else:
        status = ""
        query = query.where(Event.status != "archived")
    mine = request.args.get("mine") == "1"
    if mine:
        query = staff.mine(query, current_user.id)
    events = list(query.order_by(Event.starts_at.desc()))
    context = {
        "events": events,
        "status": status,
        "statuses": EVENT_STATUSES,
        "mine": mine,
        "creators": staff.creators(events),
        "responsibles": staff.responsibles_by_event([e.id for e in events]),
    }
    return render_page("console/events/list.html", "console/events/_list_rows.html", **context)


@bp.route("/markdown-preview", methods=["POST"])
@role_required("manager")
def console_markdown_preview():
    """The description as attendees will see it (sanitized), for the editor's Preview button."""
    source = request.form.get("description_md") or request.form.get("event_description_md") or ""
    return render_template("console/events/_markdown_preview.html", html=text.render_markdown(source[:50000]))


@bp.route("/new", methods=["GET", "POST"])
@role_required("manager")
def console_new():
    org = g.org
    form = forms.NewEventForm(data=initial({"timezone": org.timezone, "currency": org.currency}))

    def save():
        event = service.create_event(org, form.data, actor=current_user)
        message = _("Event “%(name)s” created as a draft. Add ticket types, then publish it.", name=event.name)
        return message, url_for("catalog.products", event_id=event.id)

    return form_page(form, save, "console/events/new.html")


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
@event_required("manage")
def console_edit(event_id: int):
    event = event_or_404(event_id)
    form = forms.EventForm(data=initial(_details_data(event)))

    def save():
        changes = service.update_event(event, form.data, actor=current_user)
        return saved(changes), url_for("events.console_edit", event_id=event.id)

    context = {"event": event, "cover_form": forms.CoverForm(), **_status_context(event)}
    return form_page(form, save, "console/events/edit.html", **context)


def _status_context(event: Event) -> dict:
    return {"transitions": service.allowed_transitions(event), "status_form": forms.StatusForm()}


@bp.route("/<int:event_id>/registration", methods=["GET", "POST"])
@event_required("manage")
def console_registration(event_id: int):
    event = event_or_404(event_id)
    tz = event.timezone
    form = forms.RegistrationForm(
        data=initial(
            {
                "opens_at": local(event.registration_opens_at, tz),
                "closes_at": local(event.registration_closes_at, tz),
                "cancel_allowed_until": local(event.cancel_allowed_until, tz),
                "capacity": event.capacity,
                "max_tickets_per_order": event.max_tickets_per_order,
                "max_registrations_per_email": event.max_registrations_per_email,
                "invite_only": event.invite_only,
                "requires_approval": event.requires_approval,
                "approval_limit": event.approval_limit,
            }
        )
    )

    def save():
        changes = service.update_registration(event, form.data, actor=current_user)
        return saved(changes), url_for("events.console_registration", event_id=event.id)

    return form_page(form, save, "console/events/registration.html", event=event)


@bp.route("/<int:event_id>/status", methods=["POST"])
@event_required("manage")
def console_status(event_id: int):
    event = event_or_404(event_id)
    form = forms.StatusForm()
    error = None
    if form.validate_on_submit():
        try:
            service.set_status(event, form.status.data, actor=current_user)
        except service.FieldError as exc:
            error = exc.message
    else:
        error = "Choose what to do with the event."
    if error and is_fragment_request():
        context = {"event": event, "status_error": error, **_status_context(event)}
        return render_template("console/events/_status.html", **context), 422
    flash(error or str(STATUS_NOW[event.status]), "error" if error else "success")
    target = url_for("events.console_edit", event_id=event.id)
    if is_fragment_request():  # the status shows all over the page: load it again
        return "", 200, {"HX-Redirect": target}
    return redirect(target, code=303)


@bp.route("/<int:event_id>/cover", methods=["POST"])
@event_required("manage")
def console_cover(event_id: int):
    event = event_or_404(event_id)
    cover_form = forms.CoverForm()
    if cover_form.validate_on_submit():
        try:
            service.set_cover(event, cover_form.cover.data.read(), actor=current_user)
        except service.FieldError as exc:
            apply_field_error(cover_form, exc)
        else:
            flash(_("Cover image saved."), "success")
            return redirect(url_for("events.console_edit", event_id=event.id), code=303)
    form = forms.EventForm(data=_details_data(event))
    return render_template(
        "console/events/edit.html", event=event, form=form, cover_form=cover_form, **_status_context(event)
    ), 422


@bp.route("/<int:event_id>/cover/delete", methods=["POST"])
@event_required("manage")
def console_cover_delete(event_id: int):
    event = event_or_404(event_id)  # CSRFProtect has checked the token of every POST
    service.remove_cover(event, actor=current_user)
    flash(_("Cover image removed."), "success")
    return redirect(url_for("events.console_edit", event_id=event.id), code=303)


@bp.route("/<int:event_id>/languages", methods=["GET", "POST"])
@event_required("manage")
def console_languages(event_id: int):
    event = event_or_404(event_id)
    languages = event.languages or ["en"]
    form = forms.LanguagesForm(data=initial({"main": languages[0], "languages": languages}))

    def save():
        chosen = [form.main.data] + [code for code in form.languages.data if code != form.main.data]
        service.set_languages(event, chosen, actor=current_user)
        return "Languages saved.", url_for("events.console_languages", event_id=event.id)

    return form_page(form, save, "console/events/languages.html", event=event, language_names=service.LANGUAGES)


@bp.route("/<int:event_id>/languages/<locale>", methods=["GET", "POST"])
@event_required("manage")
def console_translation(event_id: int, locale: str):
    """Every operator text of the event (details, products, questions) in one other language."""
    event = event_or_404(event_id)
    if locale not in (event.languages or [])[1:]:
        return redirect(url_for("events.console_languages", event_id=event.id))
    products, questions = translations.translatable_rows(event)
    formdata = request.form if request.method == "POST" else None
    form = translation_form(event, products, questions, locale, formdata=formdata)

    def save():
        translations.save_translations(event, locale, form.texts(), actor=current_user)
        return (
            _("Texts in %(language)s saved.", language=service.LANGUAGES[locale]),
            url_for("events.console_translation", event_id=event.id, locale=locale),
        )

    context = {"language_name": service.LANGUAGES[locale], "products": products, "questions": questions}
    return form_page(form, save, "console/events/translation.html", event=event, locale=locale, **context)
