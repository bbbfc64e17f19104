"""Contact Book console: the list with search and filters, a contact's page, labels and their
funnel rules, event labels, CSV import and export."""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from peewee import JOIN

from webapp.accounts.access import event_required, org_id, role_required
from webapp.contacts import exports, funnel, imports, labels, lifecycle, queries, service
from webapp.contacts.forms import (
    AddLabelForm,
    AutoLabelForm,
    ContactForm,
    EventLabelForm,
    ImportMappingForm,
    ImportUploadForm,
    InactivityForm,
    LabelForm,
    StageForm,
    StatusForm,
    format_custom,
)
from webapp.contacts.models import AUTO_LABEL_TRIGGERS, Activity, Contact, EventLabel, Label
from webapp.contacts.rules import stage_label
from webapp.contacts.service import ContactError
from webapp.db import utcnow
from webapp.events.models import Event
from webapp.events.pages import event_or_404
from webapp.guards import row_id
from webapp.i18n import _, joined, stored_text
from webapp.mail import contact_mail
from webapp.orders import assignments, contact_sync, states
from webapp.orders.models import Order, Registrant
from webapp.segments import query as segment_query
from webapp.segments.models import Segment
from webapp.templating import is_fragment_request, render_page
from webapp.work.models import Job

bp = Blueprint("contacts", __name__, url_prefix="/console/contacts")

TIMELINE_PAGE = 30


@bp.app_template_filter("stage_label")
def _stage_label(stage):
    return stage_label(stage)


def _contact(contact_id: int) -> Contact:
    return Contact.get_for_org(org_id(), contact_id)


def _events() -> list[Event]:
    return list(Event.for_org(org_id()).order_by(Event.starts_at.desc()))


# The list ---------------------------------------------------------------------------------------


def _filtered():
    f = queries.ContactFilter.from_args(request.args)
    event = Event.get_for_org(org_id(), f.event) if f.event else None
    if f.label is not None:
        Label.get_for_org(org_id(), f.label)  # another organization's label id: 404
    participants = contact_sync.contacts_of_event(event, f.participation) if event is not None else None
    members = None
    if f.segment is not None:
        segment = Segment.get_for_org(org_id(), f.segment)  # another organization's segment: 404
        members = segment_query.condition(org_id(), segment.tree)
    return f, event, queries.filtered(org_id(), f, participants, members)


@bp.route("", endpoint="console_list")
@role_required("manager")
def console_list():
    f, event, query = _filtered()
    after, before = request.args.get("after", type=row_id), request.args.get("before", type=row_id)
    page = queries.page(query, after=after, before=before)
    total, more_than = queries.count(query, page, paging=bool(after or before))
    return render_page(
        "console/contacts/list.html",
        "console/contacts/_results.html",
        f=f,
        event=event,
        page=page,
        total=total,
        more_than=more_than,
        events=_events(),
        all_labels=list(Label.for_org(org_id()).order_by(Label.name)),
        segments=list(Segment.for_org(org_id()).order_by(Segment.name)),
        participation=queries.PARTICIPATION,
        stages=StageForm().stage.choices,
        statuses=StatusForm().status.choices,
        event_ended=bool(event and event.ends_at and event.ends_at <= utcnow()),
    )


@bp.route("/export.csv")
@role_required("manager")
def export_csv():
    _, _, query = _filtered()
    filename = f"contacts-{utcnow():%Y%m%d-%H%M}.csv"
    return Response(
        stream_with_context(exports.csv_lines(query)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


# One contact ------------------------------------------------------------------------------------


def _participations(contact: Contact) -> list[Registrant]:
    return list(
        Registrant.select(Registrant, Event, Order)
        .join(Event, on=(Registrant.event == Event.id))
        .switch(Registrant)
        .join(Order, on=(Registrant.order == Order.id))
        .where((Registrant.contact == contact.id) & (Registrant.organization == org_id()))
        .order_by(Event.starts_at.desc(), Registrant.id)
    )


def _timeline(contact: Contact, before: str | None = None) -> tuple[list[Activity], str | None]:
    """Newest first; `before` ("<occurred_at ISO>_<id>") continues after the last entry shown."""
    query = Activity.select(Activity, Event).join(Event, JOIN.LEFT_OUTER, on=(Activity.event == Event.id))
    query = query.where(Activity.contact == contact.id)
    when, _, last_id = (before or "").rpartition("_")
    if when and last_id.isdigit():
        try:
            moment = dt.datetime.fromisoformat(when)
            last = row_id(last_id)
        except ValueError:
            abort(400)
        query = query.where((Activity.occurred_at < moment) | ((Activity.occurred_at == moment) & (Activity.id < last)))
    rows = list(query.order_by(Activity.occurred_at.desc(), Activity.id.desc()).limit(TIMELINE_PAGE + 1))
    rows, more = rows[:TIMELINE_PAGE], len(rows) > TIMELINE_PAGE
    return rows, (f"{rows[-1].occurred_at.isoformat()}_{rows[-1].id}" if more else None)


def _detail(contact: Contact, form: ContactForm | None = None, status: int = 200):
    if form is None:
        form = ContactForm(obj=contact, formdata=None)
        form.custom.data = format_custom(contact.custom)
    timeline, more = _timeline(contact)
    participations = _participations(contact)
    return render_template(
        "console/contacts/detail.html",
        contact=contact,
        form=form,
        **_lifecycle_context(contact),
        **_labels_context(contact),
        participations=participations,
        participation_states={r.id: states.of_registrant(r, r.order, r.event) for r in participations},
        state_labels=states.LABELS,
        assignments=assignments.for_contact(contact),
        timeline=timeline,
        more_before=more,
        unsubscribe_url=service.unsubscribe_url(contact),
        now_utc=utcnow(),
    ), status


def _lifecycle_context(contact: Contact, **forms) -> dict:
    return {
        "stage_form": forms.get("stage_form") or StageForm(stage=contact.stage, formdata=None),
        "status_form": forms.get("status_form") or StatusForm(status=contact.status, formdata=None),
    }


def _labels_context(contact: Contact, label_form: AddLabelForm | None = None) -> dict:
    return {
        "contact_labels": service.labels_of(contact),
        "label_form": label_form or AddLabelForm(formdata=None),
        "label_names": [label.name for label in Label.for_org(contact.organization_id).order_by(Label.name)],
    }


@bp.route("/<int:contact_id>")
@role_required("manager")
def detail(contact_id: int):
    return _detail(_contact(contact_id))


@bp.route("/<int:contact_id>/emails")
@role_required("manager")
def emails(contact_id: int):
    """Every message sent to the contact, with its state and engagement."""
    contact = _contact(contact_id)
    before = request.args.get("before", type=row_id)
    messages, next_before = contact_mail.messages_to(org_id(), contact.id, contact.email, before)
    return render_template(
        "console/contacts/emails.html",
        contact=contact,
        messages=messages,
        engagement=contact_mail.engagement_of(org_id(), [m.id for m in messages]),
        next_before=next_before,
        paged=bool(before),
    )


@bp.route("/<int:contact_id>/edit", methods=["POST"])
@role_required("manager")
def edit(contact_id: int):
    contact = _contact(contact_id)
    form = ContactForm()
    if not form.validate_on_submit():
        return _detail(contact, form, 422)
    changes = service.update_contact(
        contact,
        name=form.name.data,
        phone=form.phone.data,
        company=form.company.data,
        custom=form.custom_values,
        actor=current_user,
    )
    flash(_("Contact saved.") if changes else _("Nothing changed."), "success" if changes else "info")
    return redirect(url_for("contacts.detail", contact_id=contact.id), code=303)


def _labels_fragment(contact: Contact, label_form: AddLabelForm | None = None, status: int = 200):
    if not is_fragment_request():
        return redirect(url_for("contacts.detail", contact_id=contact.id), code=303)
    return render_template(
        "console/contacts/_labels.html", contact=contact, **_labels_context(contact, label_form)
    ), status


@bp.route("/<int:contact_id>/labels", methods=["POST"])
@role_required("manager")
def add_label(contact_id: int):
    contact = _contact(contact_id)
    form = AddLabelForm()
    if form.validate_on_submit():
        try:
            service.add_label(contact, form.name.data, actor=current_user)
        except ContactError as exc:
            form.name.errors.append(str(exc))
        else:
            return _labels_fragment(Contact.get_by_id(contact.id))
    if not is_fragment_request():
        flash(joined(form.name.errors), "error")
    return _labels_fragment(contact, form, 422)


@bp.route("/<int:contact_id>/labels/<int:label_id>/remove", methods=["POST"])
@role_required("manager")
def remove_label(contact_id: int, label_id: int):
    contact = _contact(contact_id)
    label = Label.get_for_org(org_id(), label_id)
    service.remove_label(contact, label.name, actor=current_user)
    return _labels_fragment(contact)


def _lifecycle_fragment(contact: Contact, status: int = 200, **forms):
    if not is_fragment_request():
        return redirect(url_for("contacts.detail", contact_id=contact.id), code=303)
    html = render_template("console/contacts/_lifecycle.html", contact=contact, **_lifecycle_context(contact, **forms))
    return html, status


@bp.route("/<int:contact_id>/stage", methods=["POST"])
@role_required("manager")
def set_stage(contact_id: int):
    contact = _contact(contact_id)
    form = StageForm()
    if not form.validate_on_submit():
        return _lifecycle_fragment(contact, 422, stage_form=form)
    if service.set_stage(contact, form.stage.data, source="person", actor=current_user) and not is_fragment_request():
        flash(_("Stage set to %(stage)s.", stage=stage_label(contact.stage)), "success")
    return _lifecycle_fragment(contact)


@bp.route("/<int:contact_id>/status", methods=["POST"])
@role_required("manager")
def set_status(contact_id: int):
    contact = _contact(contact_id)
    form = StatusForm()
    if not form.validate_on_submit():
        return _lifecycle_fragment(contact, 422, status_form=form)
    changed = service.set_status(
        contact, form.status.data, actor=current_user, reason=stored_text("set by an operator")
    )
    if changed and not is_fragment_request():
        flash(_("Status set to %(status)s.", status=contact.status), "success")
    return _lifecycle_fragment(contact)


@bp.route("/<int:contact_id>/timeline")
@role_required("manager")
def timeline(contact_id: int):
    contact = _contact(contact_id)
    entries, more = _timeline(contact, request.args.get("before"))
    return render_template("console/contacts/_timeline.html", contact=contact, timeline=entries, more_before=more)


# Labels and funnel rules ------------------------------------------------------------------------


def _labels_page(form: LabelForm | None = None, inactivity: InactivityForm | None = None, status: int = 200):
    current = lifecycle.contact_settings(org_id())
    automatic = funnel.settings_of(org_id())
    return render_template(
        "console/contacts/labels.html",
        automatic=automatic,
        auto_forms={
            row.trigger: AutoLabelForm(label=row.label_id or 0, active=row.active, formdata=None) for row in automatic
        },
        labels=labels.labels_with_counts(org_id()),
        form=form or LabelForm(formdata=None),
        stage_choices=LabelForm().stage.choices,
        inactivity=inactivity or InactivityForm(inactivity_days=current.inactivity_days, formdata=None),
    ), status


@bp.route("/labels", methods=["GET", "POST"])
@role_required("manager")
def labels_page():
    form = LabelForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                label = labels.create_label(
                    org_id(), form.name.data, color=form.color.data, stage=form.stage.data or None, actor=current_user
                )
            except ContactError as exc:
                getattr(form, exc.field or "name").errors.append(str(exc))
            else:
                flash(_("Label %(name)s created.", name=label.name), "success")
                return redirect(url_for("contacts.labels_page"), code=303)
        return _labels_page(form, status=422)
    return _labels_page()


@bp.route("/labels/<int:label_id>", methods=["POST"])
@role_required("manager")
def update_label(label_id: int):
    label = Label.get_for_org(org_id(), label_id)
    form = LabelForm()
    error = None
    if form.validate_on_submit():
        try:
            labels.update_label(
                label, name=form.name.data, color=form.color.data, stage=form.stage.data or None, actor=current_user
            )
        except ContactError as exc:
            error = str(exc)
    else:
        error = joined(e for errors in form.errors.values() for e in errors)
    if error:
        flash(_("%(name)s: %(error)s", name=label.name, error=error), "error")
    else:
        flash(_("Label %(name)s saved.", name=label.name), "success")
    return redirect(url_for("contacts.labels_page"), code=303)


@bp.route("/labels/<int:label_id>/apply", methods=["POST"])
@role_required("manager")
def apply_label_rule(label_id: int):
    label = Label.get_for_org(org_id(), label_id)
    moved = labels.apply_stage_rule(label, actor=current_user)
    flash(
        _(
            "%(moved)s contact(s) with %(name)s moved to %(stage)s.",
            moved=moved,
            name=label.name,
            stage=stage_label(label.stage),
        ),
        "success",
    )
    return redirect(url_for("contacts.labels_page"), code=303)


@bp.route("/labels/<int:label_id>/delete", methods=["POST"])
@role_required("manager")
def delete_label(label_id: int):
    label = Label.get_for_org(org_id(), label_id)
    count = labels.delete_label(label, actor=current_user)
    flash(_("Label %(name)s deleted; %(count)s contact(s) lost it.", name=label.name, count=count), "success")
    return redirect(url_for("contacts.labels_page"), code=303)


@bp.route("/labels/auto/<trigger>", methods=["POST"])
@role_required("manager")
def update_auto_label(trigger: str):
    if trigger not in AUTO_LABEL_TRIGGERS:
        abort(404)
    form = AutoLabelForm()
    if not form.validate_on_submit():
        flash(_("Choose the label to add, or switch it off."), "error")
        return redirect(url_for("contacts.labels_page"), code=303)
    try:
        funnel.update(org_id(), trigger, label_id=form.label.data or None, active=form.active.data, actor=current_user)
    except ContactError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Automatic label saved."), "success")
    return redirect(url_for("contacts.labels_page"), code=303)


@bp.route("/labels/inactivity", methods=["POST"])
@role_required("manager")
def inactivity():
    form = InactivityForm()
    if not form.validate_on_submit():
        return _labels_page(inactivity=form, status=422)
    lifecycle.set_inactivity_days(org_id(), form.inactivity_days.data, actor=current_user)
    flash(_("Inactivity rule saved."), "success")
    return redirect(url_for("contacts.labels_page"), code=303)


# Event labels -----------------------------------------------------------------------------------


@bp.route("/event-labels")
@role_required("manager")
def event_label_index():
    by_event: dict[int, list[EventLabel]] = {}
    for row in EventLabel.select(EventLabel, Label).join(Label).where(EventLabel.organization == org_id()):
        by_event.setdefault(row.event_id, []).append(row)
    return render_template("console/contacts/event_label_index.html", events=_events(), by_event=by_event)


def _event_labels_page(event: Event, form: EventLabelForm | None = None, status: int = 200):
    return render_template(
        "console/contacts/event_labels.html",
        event=event,
        event_labels=labels.event_labels(event),
        form=form or EventLabelForm(formdata=None),
        label_names=[label.name for label in Label.for_org(org_id()).order_by(Label.name)],
    ), status


@bp.route("/event-labels/<int:event_id>", methods=["GET", "POST"])
@event_required("manage")
def event_labels(event_id: int):
    event = event_or_404(event_id)
    form = EventLabelForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                contact_sync.add_event_label(event, form.name.data, actor=current_user)
            except ContactError as exc:
                form.name.errors.append(str(exc))
            else:
                flash(
                    _("%(name)s now labels its registrants %(name2)s.", name=event.name, name2=form.name.data),
                    "success",
                )
                return redirect(url_for("contacts.event_labels", event_id=event.id), code=303)
        return _event_labels_page(event, form, 422)
    return _event_labels_page(event)


@bp.route("/event-labels/<int:event_id>/<int:event_label_id>/remove", methods=["POST"])
@event_required("manage")
def remove_event_label(event_id: int, event_label_id: int):
    event = event_or_404(event_id)
    event_label = EventLabel.get((EventLabel.id == event_label_id) & (EventLabel.event == event.id))
    labels.remove_event_label(event_label, actor=current_user)
    flash(_("%(name)s no longer adds %(name2)s.", name=event.name, name2=event_label.label.name), "success")
    return redirect(url_for("contacts.event_labels", event_id=event.id), code=303)


# CSV import -------------------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@role_required("manager")
def import_upload():
    form = ImportUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            job = imports.start_import(org_id(), upload.read(), upload.filename or "contacts.csv", user=current_user)
        except ContactError as exc:
            form.file.errors.append(str(exc))
        else:
            return redirect(url_for("contacts.import_job", import_id=job.id), code=303)
    recent = list(Job.for_org(org_id()).where(Job.kind == imports.KIND).order_by(Job.id.desc()).limit(10))
    return render_template("console/contacts/import_upload.html", form=form, recent=recent), 422 if form.errors else 200


@bp.route("/import/<int:import_id>", methods=["GET", "POST"])
@role_required("manager")
def import_job(import_id: int):
    job = Job.get_for_org(org_id(), import_id, imports.KIND)
    if job.state != "mapping":
        return render_page("console/contacts/import_status.html", "console/_progress.html", job=job)
    form = ImportMappingForm()
    mapping = dict(job.params["mapping"])
    error = None
    if request.method == "POST":
        mapping = {str(i): request.form.get(f"col_{i}", "") for i in range(len(job.params["headers"]))}
        if form.validate_on_submit():
            try:
                imports.queue_import(job, mapping, form.labels.data.split(","), actor=current_user)
            except ContactError as exc:
                error = str(exc)
            else:
                return redirect(url_for("contacts.import_job", import_id=job.id), code=303)
    status = 422 if (error or form.errors) else 200
    return render_template(
        "console/contacts/import_map.html",
        job=job,
        form=form,
        mapping=mapping,
        error=error,
        targets=imports.TARGETS,
        preview=imports.preview(job),
    ), status
