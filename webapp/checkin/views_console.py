"""Check-in set-up in the console (managers): lists, the answers the door sees, badges."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.accounts.access import event_required
from webapp.catalog import groups as catalog_groups
from webapp.catalog.models import Product
from webapp.checkin import lists as list_rules
from webapp.checkin import offline, service
from webapp.checkin.forms import (
    BadgeSettingsForm,
    BulkBadgesForm,
    CheckinListForm,
    DoorQuestionsForm,
    ReviewResolveForm,
    SignedTicketsForm,
)
from webapp.checkin.models import AdmissionReview, CheckinList
from webapp.events.models import Event
from webapp.events.pages import event_or_404
from webapp.i18n import _
from webapp.orders import signed_secrets
from webapp.storage import download
from webapp.templating import is_fragment_request
from webapp.tickets import badges
from webapp.timeutil import to_local, to_utc
from webapp.work.models import Job

bp = Blueprint("checkin_console", __name__, url_prefix="/console/events/<int:event_id>/checkin")


def _products(event: Event) -> list[Product]:
    return list(Product.select().where(Product.event == event.id).order_by(Product.position, Product.id))


@bp.route("/")
@event_required("registrants")
def lists(event_id: int):
    event = event_or_404(event_id)
    questions = list_rules.door_questions(event)
    door_form = DoorQuestionsForm(question_ids=[q.id for q in questions if q.show_at_checkin])
    door_form.question_ids.choices = [(q.id, q.label) for q in questions]
    checkin_lists = list_rules.lists_for(event)
    numbers = {cl.id: service.stats(event, cl) for cl in checkin_lists}
    products = {p.id: p.name for p in _products(event)}
    return render_template(
        "console/checkin/lists.html",
        event=event,
        checkin_lists=checkin_lists,
        numbers=numbers,
        products=products,
        door_form=door_form,
        active_tab="checkin",
    )


def _list_form(event: Event, checkin_list: CheckinList | None) -> CheckinListForm:
    data = None
    if checkin_list is not None and request.method == "GET":
        data = {
            "name": checkin_list.name,
            "all_products": checkin_list.all_products,
            "product_ids": checkin_list.product_ids,
            "group_ids": checkin_list.group_ids,
            "starts_at": to_local(checkin_list.starts_at, event.timezone),
            "ends_at": to_local(checkin_list.ends_at, event.timezone),
            "multi_entry": checkin_list.multi_entry,
            "allow_exit": checkin_list.allow_exit,
        }
        data = {k: (v.replace(tzinfo=None) if hasattr(v, "tzinfo") and v is not None else v) for k, v in data.items()}
    form = CheckinListForm(data=data) if data else CheckinListForm()
    form.product_ids.choices = [(p.id, p.name) for p in _products(event)]
    form.group_ids.choices = [(g.id, g.name) for g in catalog_groups.groups_of(event)]
    return form


def _edit(event: Event, checkin_list: CheckinList | None):
    form = _list_form(event, checkin_list)
    if form.validate_on_submit():
        tz = event.timezone
        try:
            list_rules.save_list(
                event,
                name=form.name.data,
                all_products=form.all_products.data,
                product_ids=form.product_ids.data or [],
                group_ids=form.group_ids.data or [],
                starts_at=to_utc(form.starts_at.data, tz) if form.starts_at.data else None,
                ends_at=to_utc(form.ends_at.data, tz) if form.ends_at.data else None,
                multi_entry=form.multi_entry.data,
                allow_exit=form.allow_exit.data,
                actor=current_user,
                checkin_list=checkin_list,
            )
        except list_rules.ListError as exc:
            getattr(form, exc.field or "name").errors.append(str(exc))
        else:
            flash(_("Check-in list saved."), "success")
            return redirect(url_for("checkin_console.lists", event_id=event.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "console/checkin/list_form.html", event=event, form=form, checkin_list=checkin_list, active_tab="checkin"
    ), status


@bp.route("/lists/new", methods=["GET", "POST"])
@event_required("registrants")
def new_list(event_id: int):
    return _edit(event_or_404(event_id), None)


@bp.route("/lists/<int:list_id>", methods=["GET", "POST"])
@event_required("registrants")
def edit_list(event_id: int, list_id: int):
    event = event_or_404(event_id)
    return _edit(event, list_rules.get_list(event, list_id))


@bp.route("/lists/<int:list_id>/delete", methods=["POST"])
@event_required("registrants")
def delete_list(event_id: int, list_id: int):
    event = event_or_404(event_id)
    try:
        list_rules.delete_list(list_rules.get_list(event, list_id), actor=current_user)
    except list_rules.ListError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Check-in list deleted."), "success")
    return redirect(url_for("checkin_console.lists", event_id=event.id), code=303)


@bp.route("/door-answers", methods=["POST"])
@event_required("registrants")
def door_answers(event_id: int):
    event = event_or_404(event_id)
    form = DoorQuestionsForm()
    form.question_ids.choices = [(q.id, q.label) for q in list_rules.door_questions(event)]
    if not form.validate_on_submit():
        abort(400)
    list_rules.set_door_questions(event, form.question_ids.data or [], actor=current_user)
    flash(_("The door now sees the chosen answers."), "success")
    return redirect(url_for("checkin_console.lists", event_id=event.id), code=303)


# --- the offline door: signed tickets, the review of refused offline admissions -------------------


@bp.route("/offline")
@event_required("registrants")
def offline_door(event_id: int):
    event = event_or_404(event_id)
    show_all = request.args.get("all") == "1"
    return render_template(
        "console/checkin/offline.html",
        event=event,
        reviews=offline.reviews(event, open_only=not show_all),
        show_all=show_all,
        signed_form=SignedTicketsForm(formdata=None, signed_tickets=event.signed_tickets),
        resolve_form=ReviewResolveForm(formdata=None),
        active_tab="offline_door",
    )


@bp.route("/offline/signed-tickets", methods=["POST"])
@event_required("registrants")
def signed_tickets(event_id: int):
    event = event_or_404(event_id)
    form = SignedTicketsForm()
    if not form.validate_on_submit():
        abort(400)
    signed_secrets.set_signed_tickets(event, bool(form.signed_tickets.data), actor=current_user)
    flash(_("New tickets are signed.") if form.signed_tickets.data else _("New tickets are not signed."), "success")
    return redirect(url_for("checkin_console.offline_door", event_id=event.id), code=303)


@bp.route("/offline/reviews/<int:review_id>/resolve", methods=["POST"])
@event_required("registrants")
def resolve_review(event_id: int, review_id: int):
    event = event_or_404(event_id)
    review = AdmissionReview.get((AdmissionReview.id == review_id) & (AdmissionReview.event == event.id))
    form = ReviewResolveForm()
    if form.validate_on_submit():
        try:
            review = offline.resolve(review, user=current_user, note=form.note.data)
        except offline.OfflineError as exc:
            form.note.errors.append(str(exc))
    status = 422 if form.errors else 200
    if is_fragment_request():
        return render_template("console/checkin/_review.html", event=event, review=review, resolve_form=form), status
    if status == 200:
        flash(_("Marked resolved."), "success")
    else:
        flash(form.note.errors[0], "error")
    return redirect(url_for("checkin_console.offline_door", event_id=event.id), code=303)


# --- badges ---------------------------------------------------------------------------------------


def _badge_forms(event: Event, badge_settings):

    if request.method == "GET":
        form = BadgeSettingsForm(
            size=badge_settings.size,
            fields=badge_settings.fields,
            show_logo=badge_settings.show_logo,
            show_qr=badge_settings.show_qr,
            accent_color=badge_settings.accent_color,
        )
    else:
        form = BadgeSettingsForm()
    form.fields.choices = badges.field_choices(event)
    bulk = BulkBadgesForm(formdata=None)
    bulk.product_ids.choices = [(p.id, p.name) for p in _products(event) if p.admits_entry]
    return form, bulk


@bp.route("/badges", methods=["GET", "POST"])
@event_required("registrants")
def badges_page(event_id: int):

    event = event_or_404(event_id)
    badge_settings = badges.settings_for(event)
    form, bulk = _badge_forms(event, badge_settings)
    if form.validate_on_submit():
        try:
            badges.save_settings(
                event,
                size=form.size.data,
                fields=form.fields.data or [],
                show_logo=form.show_logo.data,
                show_qr=form.show_qr.data,
                accent_color=form.accent_color.data,
                logo=form.logo.data.read() if form.logo.data else None,
                actor=current_user,
            )
        except badges.BadgeError as exc:
            getattr(form, exc.field or "fields").errors.append(str(exc))
        else:
            flash(_("Badge settings saved."), "success")
            return redirect(url_for("checkin_console.badges_page", event_id=event.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "console/checkin/badges.html",
        event=event,
        form=form,
        bulk=bulk,
        jobs=badges.recent_jobs(event),
        active_tab="checkin",
    ), status


@bp.route("/badges/sample.pdf")
@event_required("registrants")
def badge_sample(event_id: int):

    return _pdf(badges.sample_pdf(event_or_404(event_id)), "badge-sample.pdf")


@bp.route("/badges/bulk", methods=["POST"])
@event_required("registrants")
def badges_bulk(event_id: int):

    event = event_or_404(event_id)
    form = BulkBadgesForm()
    form.product_ids.choices = [(p.id, p.name) for p in _products(event)]
    if not form.validate_on_submit():
        abort(400)
    try:
        job = badges.start_bulk(
            event, product_ids=form.product_ids.data or [], attended_only=form.attended_only.data, actor=current_user
        )
    except badges.BadgeError as exc:
        if is_fragment_request():
            return render_template("console/checkin/_badge_error.html", message=str(exc)), 422
        flash(str(exc), "error")
        return redirect(url_for("checkin_console.badges_page", event_id=event.id), code=303)
    if is_fragment_request():
        return render_template("console/_progress.html", event=event, job=Job.get_by_id(job.id))
    return redirect(url_for("checkin_console.badges_page", event_id=event.id), code=303)


@bp.route("/badges/jobs/<int:job_id>/badges.pdf")
@event_required("registrants")
def badge_job_download(event_id: int, job_id: int):

    event = event_or_404(event_id)
    job = Job.get((Job.id == job_id) & (Job.event_id == event.id) & (Job.kind == badges.KIND))
    key = badges.job_file(job)
    if key is None:
        abort(404)
    return download(key, "application/pdf", f"badges-{event.slug}.pdf")


def _pdf(data: bytes, filename: str):

    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
