"""Segments in the console: the list, the editor (a live count and sample as the tree changes), a
segment's page (members, count over time, CSV export) and the one-click segments of an event."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from webapp.accounts.access import job_owner, org_id, role_required, row_required
from webapp.console import charts
from webapp.console.pages_jobs import job_file_download
from webapp.contacts.models import Contact
from webapp.events.models import Event
from webapp.events.pages import event_or_404
from webapp.guards import row_id, search_text
from webapp.i18n import _, _l
from webapp.segments import editor, exports, query, service
from webapp.segments.choices import answer_types, value_choices
from webapp.segments.editor import Reading
from webapp.segments.forms import SegmentForm
from webapp.segments.models import Segment
from webapp.segments.service import EVENT_STATES, SegmentError
from webapp.segments.tree import (
    CUSTOM_TYPES,
    DIMENSIONS,
    MAX_DEPTH,
    OPERATOR_LABELS,
    TRACKED_PROPERTIES,
    TreeError,
    validate,
)
from webapp.templating import is_fragment_request, render_page

bp = Blueprint("segments", __name__, url_prefix="/console/segments")

SAMPLE = 10
MEMBERS_PAGE = 50
HISTORY_DAYS = 90

# The dimension picker's sections, in the order the editor shows them.
SECTIONS = (
    (_l("Contact"), ("email", "email_domain", "name", "status", "source", "created", "subscribed", "custom_field")),
    (_l("Labels and funnel"), ("labels", "stage")),
    (
        _l("Events"),
        (
            "registered",
            "attended",
            "no_show",
            "order_status",
            "product",
            "coupon",
            "checkin_gate",
            "checkin_list",
            "answer",
        ),
    ),
    (_l("Product activity"), ("tracked",)),
    (_l("Email"), ("mail_received", "mail_opened", "mail_clicked")),
    (_l("Segments"), ("segment",)),
)
# Where the pickers of a condition's own keys take their choices from.
KEY_SOURCES = {
    "event_id": "events",
    "question_id": "questions",
    "send_key": "send_keys",
    "field": "custom_fields",
    "event_type": "event_types",
}


def _segment(segment_id: int) -> Segment:
    return Segment.get_for_org(org_id(), segment_id)


def _in_english() -> bool:
    return str(get_locale() or "en") != "id"


def _dim_label(dim) -> str:
    return dim.label_en if _in_english() else dim.label_id


def _op_label(op: str) -> str:
    en, id_ = OPERATOR_LABELS.get(op, (op, op))
    return en if _in_english() else id_


def _sections() -> list[tuple[str, list[str]]]:
    listed = {key for _, keys in SECTIONS for key in keys}
    sections = [(str(title), [k for k in keys if k in DIMENSIONS]) for title, keys in SECTIONS]
    others = [k for k in DIMENSIONS if k not in listed]
    return [s for s in sections + [(_("Other"), others)] if s[1]]


def _sources(tree: dict) -> set[str]:
    """The choice lists the tree's conditions show."""
    if tree.get("type") == "group":
        return {source for child in tree.get("children", []) for source in _sources(child)}
    dim = DIMENSIONS.get(tree.get("dimension"))
    if dim is None:
        return set()
    needed = {KEY_SOURCES[k] for k in dim.keys if k in KEY_SOURCES}
    if dim.choices and editor.value_kind(dim, tree) in ("select", "multiselect", "text_list"):
        needed.add(dim.choices)
    needed.update(
        source for key, source in (("event_tag", "event_tags"), ("property", "properties")) if key in dim.keys
    )
    return needed


def _choices(tree: dict) -> dict[str, list[dict]]:
    out = {}
    for source in _sources(tree):
        if source == "properties":
            out[source] = [{"value": p, "label": p} for p in TRACKED_PROPERTIES]
        else:
            out[source] = value_choices(org_id(), source)
    return out


def _urls(segment: Segment | None) -> dict[str, str]:
    return {
        "preview": url_for("segments.preview"),
        "tree": url_for("segments.tree"),
        "save": url_for("segments.edit", segment_id=segment.id) if segment else url_for("segments.new"),
    }


def _tree_context(tree: dict, errors: dict[str, str], segment: Segment | None) -> dict:
    return {
        "tree": tree,
        "errors": errors,
        "dims": DIMENSIONS,
        "choices": _choices(tree),
        "dimension_groups": _sections(),
        "value_kind": editor.value_kind,
        "operators_for": editor.operators_for,
        "dim_label": _dim_label,
        "op_label": _op_label,
        "key_labels": {
            "event_tag": _("events tagged"),
            "property": _("property"),
            "property_value": _("equal to"),
        },
        "custom_types": CUSTOM_TYPES,
        "type_labels": {"text": _("text"), "number": _("number"), "date": _("date"), "boolean": _("yes/no")},
        "max_depth": MAX_DEPTH,
        "urls": _urls(segment),
    }


@dataclass
class Preview:
    count: int = 0
    sample: list[Contact] = field(default_factory=list)
    error: str = ""
    errors: dict[str, str] = field(default_factory=dict)  # node key -> message
    keys: list[str] = field(default_factory=list)  # every node key of the form


def _preview(reading: Reading, segment_id: int | None) -> Preview:
    keys = list(reading.keys)
    try:
        tree = validate(org_id(), reading.tree, segment_id=segment_id)
    except TreeError as exc:
        key = editor.node_key_of(reading, exc.path)
        return Preview(error=_("Fix the marked condition first."), errors={key: exc.message}, keys=keys)
    return Preview(query.count(org_id(), tree), query.sample(org_id(), tree, SAMPLE), keys=keys)


def _editor_page(form: SegmentForm, reading: Reading, segment: Segment | None, status: int = 200, tree_error: str = ""):
    preview = _preview(reading, segment.id if segment else None)
    title = _("Edit %(name)s", name=segment.name) if segment else _("New segment")
    context = _tree_context(reading.tree, preview.errors, segment)
    html = render_template(
        "console/segments/editor.html",
        form=form,
        segment=segment,
        preview=preview,
        title=title,
        tree_error=tree_error,
        **context,
    )
    return html, status


def _posted_segment() -> Segment | None:
    """The segment the editor is editing (None for a new one)."""
    text = request.form.get("segment_id", "")
    if not text:
        return None
    try:
        return _segment(row_id(text))
    except ValueError:
        abort(404)


# The list ---------------------------------------------------------------------------------------


@bp.route("", endpoint="index")
@role_required("manager")
def index():
    segments = list(Segment.for_org(org_id()).order_by(Segment.updated_at.desc(), Segment.id.desc()))
    events = [] if segments else list(Event.for_org(org_id()).order_by(Event.starts_at.desc()).limit(3))
    return render_template("console/segments/list.html", segments=segments, events=events)


@bp.route("/<int:segment_id>/count")
@role_required("manager")
def count(segment_id: int):
    segment = _segment(segment_id)
    try:
        number = query.count(org_id(), segment.tree)
    except TreeError:
        number = None
    return render_template("console/segments/_count.html", segment=segment, number=number)


# The editor -------------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@role_required("manager")
def new():
    form = SegmentForm()
    if request.method == "POST":
        return _save(form, None)
    return _editor_page(form, editor.index(editor.empty_tree()), None)


@bp.route("/events/<int:event_id>/<state>")
@role_required("manager")
def from_event(event_id: int, state: str):
    """One click from an event's page: the editor holding that event's registered, attended,
    no-show or pending-payment contacts, ready to save."""
    event = event_or_404(event_id)
    if state not in EVENT_STATES:
        abort(404)
    names = {
        "registered": _("Registered for %(event)s", event=event.name),
        "attended": _("Attended %(event)s", event=event.name),
        "no_show": _("No-show at %(event)s", event=event.name),
        "pending_payment": _("Payment pending for %(event)s", event=event.name),
    }
    form = SegmentForm(formdata=None, name=names[state][:120])
    return _editor_page(form, editor.index(service.event_segment_tree(event, state)), None)


@bp.route("/<int:segment_id>/edit", methods=["GET", "POST"])
@role_required("manager")
def edit(segment_id: int):
    segment = _segment(segment_id)
    form = SegmentForm(obj=segment)
    if request.method == "POST":
        return _save(form, segment)
    return _editor_page(form, editor.index(segment.tree), segment)


def _save(form: SegmentForm, segment: Segment | None):
    reading = editor.read(request.form, answer_types(org_id()))
    if not form.validate_on_submit():
        return _editor_page(form, reading, segment, 422)
    try:
        if segment is None:
            segment = service.create_segment(
                org_id(),
                name=form.name.data,
                description=form.description.data or "",
                tree=reading.tree,
                actor=current_user,
            )
            flash(_("Segment %(name)s saved.", name=segment.name), "success")
        else:
            changes = service.update_segment(
                segment,
                name=form.name.data,
                description=form.description.data or "",
                tree=reading.tree,
                actor=current_user,
            )
            flash(_("Segment saved.") if changes else _("Nothing changed."), "success" if changes else "info")
    except SegmentError as exc:
        getattr(form, exc.field or "name", form.name).errors.append(str(exc))
        return _editor_page(form, reading, segment, 422)
    except TreeError:
        return _editor_page(
            form, reading, segment, 422, tree_error=_("The conditions are not complete: see the marked one.")
        )
    return redirect(url_for("segments.detail", segment_id=segment.id), code=303)


@bp.route("/editor/preview", methods=["POST"])
@role_required("manager")
def preview():
    """The live count and sample of the tree as submitted, and each node's message."""
    reading = editor.read(request.form, answer_types(org_id()))
    return render_template(
        "console/segments/_preview.html",
        preview=_preview(reading, getattr(_posted_segment(), "id", None)),
        oob_errors=True,
    )


@bp.route("/editor/tree", methods=["POST"])
@role_required("manager")
def tree():
    """A structural change (add a condition or a group, remove one, another dimension or
    operator): the tree again, with the live count."""
    segment = _posted_segment()
    reading = editor.read(request.form, answer_types(org_id()))
    editor.apply(reading, request.form.get("op", ""))
    reading = editor.index(reading.tree)
    if not is_fragment_request():  # without scripts, the buttons post the whole form here
        return _editor_page(SegmentForm(), reading, segment)
    preview_ = _preview(reading, segment.id if segment else None)
    context = _tree_context(reading.tree, preview_.errors, segment)
    return render_template("console/segments/_tree.html", preview=preview_, oob_preview=True, **context)


# A segment's page -------------------------------------------------------------------------------


@bp.route("/<int:segment_id>")
@role_required("manager")
def detail(segment_id: int):
    segment = _segment(segment_id)
    search = search_text(request.args)
    after = request.args.get("after", type=row_id)
    page = query.page(org_id(), segment.tree, after_id=after, search=search or None, limit=MEMBERS_PAGE)
    counts = service.counts_over_time(segment, HISTORY_DAYS)
    return render_page(
        "console/segments/detail.html",
        "console/segments/_members.html",
        segment=segment,
        page=page,
        q=search,
        after=after,
        total=query.count(org_id(), segment.tree) if not is_fragment_request() else None,
        history=counts,
        history_chart=charts.level_chart([(c.day, c.count) for c in counts]),
        export_job=exports.latest(segment),
    )


@bp.route("/<int:segment_id>/export", methods=["POST"])
@role_required("manager")
def export(segment_id: int):
    """Start the CSV export of the members (a job); its progress shows on the segment's page."""
    segment = _segment(segment_id)
    exports.start(segment, actor=current_user)
    return redirect(url_for("segments.detail", segment_id=segment.id) + "#segment-export", code=303)


@bp.route("/exports/<int:job_id>/file")
@row_required("job_id", "registrants", job_owner)
def export_file(job_id: int):
    """A finished export's file, for the managers of its organization (another's id: 404)."""
    return job_file_download(
        job_id, exports.KIND, exports.job_file, exports.MIMETYPE,
        _("This export is not ready, or its file was deleted a day after it was made. Export again."),
    )  # fmt: skip


@bp.route("/<int:segment_id>/delete", methods=["POST"])
@role_required("manager")
def delete(segment_id: int):
    segment = _segment(segment_id)
    try:
        service.delete_segment(segment, actor=current_user)
    except SegmentError as exc:
        flash(str(exc), "error")
        return redirect(url_for("segments.detail", segment_id=segment.id), code=303)
    flash(_("Segment %(name)s deleted.", name=segment.name), "success")
    return redirect(url_for("segments.index"), code=303)
