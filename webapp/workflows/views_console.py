"""Workflows in the console: the list, the editor (a trigger and a list of steps to add, remove and
reorder, errors beside the fields), activate and pause, and a workflow's runs. Managers read them;
admins and owners change them (a workflow writes to the whole Contact Book, mails and calls
webhooks)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.accounts.access import has_role, org_id, role_required
from webapp.contacts.ingest_models import EVENT_TYPES
from webapp.contacts.models import FUNNEL_STAGES, Label
from webapp.events.models import Event
from webapp.guards import row_id
from webapp.i18n import _, _l
from webapp.mail.models import EmailTemplate
from webapp.segments.models import Segment
from webapp.templating import is_fragment_request, render_page
from webapp.workflows import editor, service
from webapp.workflows.definition import WorkflowInvalid
from webapp.workflows.models import RUN_STATES, Workflow

bp = Blueprint("workflows", __name__, url_prefix="/console/workflows")

CHANGE_ROLE = "admin"

TRIGGER_LABELS = {
    "label_added": _l("A label is added"),
    "label_removed": _l("A label is removed"),
    "stage_changed": _l("The funnel stage changes"),
    "segment_entered": _l("A contact enters a segment"),
    "tracked_event": _l("A tracked event arrives"),
}
STEP_LABELS = {
    "wait": _l("Wait"),
    "condition": _l("Continue only if"),
    "send_email": _l("Send an email"),
    "add_label": _l("Add a label"),
    "remove_label": _l("Remove a label"),
    "set_stage": _l("Set the funnel stage"),
    "webhook": _l("Call the webhook"),
}
UNIT_LABELS = {"minutes": _l("minutes"), "hours": _l("hours"), "days": _l("days")}
CHECK_LABELS = {"has_label": _l("the contact has the label"), "in_segment": _l("the contact is in the segment")}
STATE_LABELS = {"draft": _l("Draft"), "active": _l("Active"), "paused": _l("Paused")}
RUN_STATE_LABELS = {
    "waiting": _l("Waiting"),
    "running": _l("Running"),
    "done": _l("Done"),
    "failed": _l("Failed"),
    "exited": _l("Left (condition not met)"),
}
OUTCOME_LABELS = {
    "started": _l("started"),
    "waiting": _l("waiting"),
    "condition_met": _l("condition met"),
    "condition_not_met": _l("condition not met: left the workflow"),
    "email_queued": _l("email queued"),
    "email_skipped": _l("email not sent (unsubscribed or bounced)"),
    "label_added": _l("label added"),
    "label_removed": _l("label removed"),
    "stage_set": _l("stage set"),
    "unchanged": _l("nothing to change"),
    "webhook": _l("webhook called"),
    "failed": _l("failed"),
    "finished": _l("finished"),
}
STAGE_LABELS = {
    "aware": _l("Aware"),
    "engaged": _l("Engaged"),
    "customer": _l("Customer"),
    "loyal_customer": _l("Loyal customer"),
    "promoter": _l("Promoter"),
    "lost": _l("Lost"),
}


def _workflow(workflow_id: int) -> Workflow:
    return Workflow.get_for_org(org_id(), workflow_id)


def _may_change() -> None:
    if not has_role(CHANGE_ROLE):
        abort(403)


def _choices() -> dict:
    org = org_id()
    templates = (
        EmailTemplate.select(EmailTemplate, Event)
        .join(Event)
        .where(EmailTemplate.organization == org)
        .order_by(Event.name, EmailTemplate.slot, EmailTemplate.locale)
    )
    return {
        "segments": list(Segment.for_org(org).order_by(Segment.name)),
        "labels": list(Label.for_org(org).order_by(Label.name)),
        "templates": [(t.id, f"{t.event.name} · {t.slot} · {t.locale} · {t.subject}") for t in templates],
        "stages": FUNNEL_STAGES,
        "event_types": EVENT_TYPES,
    }


def _context() -> dict:
    return {
        "trigger_labels": TRIGGER_LABELS,
        "step_labels": STEP_LABELS,
        "unit_labels": UNIT_LABELS,
        "check_labels": CHECK_LABELS,
        "state_labels": STATE_LABELS,
        "run_state_labels": RUN_STATE_LABELS,
        "outcome_labels": OUTCOME_LABELS,
        "stage_labels": STAGE_LABELS,
        "may_change": has_role(CHANGE_ROLE),
    }


# The list -----------------------------------------------------------------------------------------


@bp.route("", endpoint="index")
@role_required("manager")
def index():
    names = {
        "labels": {label.id: label.name for label in Label.for_org(org_id())},
        "segments": {segment.id: segment.name for segment in Segment.for_org(org_id())},
    }
    return render_template(
        "console/workflows/list.html", workflows=service.workflows_of(org_id()), names=names, **_context()
    )


# The editor ---------------------------------------------------------------------------------------


def _editor(reading: editor.Reading, workflow: Workflow | None, status: int = 200):
    return render_page(
        "console/workflows/editor.html",
        "console/workflows/_editor.html",
        status,
        reading=reading,
        workflow=workflow,
        choices=_choices(),
        properties_text=editor.properties_text(reading.trigger.get("properties") or {}),
        **_context(),
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required("manager")
def new():
    _may_change()
    if request.method == "POST":
        return _posted(None)
    return _editor(editor.Reading(), None)


@bp.route("/<int:workflow_id>/edit", methods=["GET", "POST"])
@role_required("manager")
def edit(workflow_id: int):
    _may_change()
    workflow = _workflow(workflow_id)
    if request.method == "POST":
        return _posted(workflow)
    return _editor(editor.from_workflow(workflow), workflow)


def _posted(workflow: Workflow | None):
    reading = editor.read(request.form)
    op = request.form.get("op", "")
    if op:  # a change to the list or the trigger's kind: the editor again, nothing saved
        editor.apply(reading, op)
        reading.errors = {}
        return _editor(reading, workflow)
    try:
        if reading.errors:
            raise WorkflowInvalid(reading.errors)
        values = {
            "name": reading.name,
            "trigger": reading.trigger,
            "steps": editor.steps_to_save(reading.steps),
            "allow_reentry": reading.allow_reentry,
            "actor": current_user,
        }
        if workflow is None:
            workflow = service.create_workflow(org_id(), **values)
            flash(_("Workflow %(name)s saved as a draft. Activate it to start runs.", name=workflow.name), "success")
        else:
            changes = service.update_workflow(workflow, **values)
            flash(_("Workflow saved.") if changes else _("Nothing changed."), "success" if changes else "info")
    except WorkflowInvalid as exc:
        reading.errors = exc.errors
        return _editor(reading, workflow, 422)
    return redirect(url_for("workflows.detail", workflow_id=workflow.id), code=303)


# State --------------------------------------------------------------------------------------------


@bp.route("/<int:workflow_id>/activate", methods=["POST"])
@role_required("manager")
def activate(workflow_id: int):
    _may_change()
    workflow = _workflow(workflow_id)
    resumed = service.activate(workflow, actor=current_user)
    if resumed:
        flash(_("Workflow active: %(n)d waiting run(s) move on.", n=resumed), "success")
    else:
        flash(_("Workflow active: its trigger now starts runs."), "success")
    return redirect(url_for("workflows.detail", workflow_id=workflow.id), code=303)


@bp.route("/<int:workflow_id>/pause", methods=["POST"])
@role_required("manager")
def pause(workflow_id: int):
    _may_change()
    workflow = _workflow(workflow_id)
    if service.pause(workflow, actor=current_user):
        flash(_("Workflow paused: no new runs start, and runs under way wait until you activate it."), "info")
    return redirect(url_for("workflows.detail", workflow_id=workflow.id), code=303)


@bp.route("/<int:workflow_id>/delete", methods=["POST"])
@role_required("manager")
def delete(workflow_id: int):
    _may_change()
    workflow = _workflow(workflow_id)
    service.delete_workflow(workflow, actor=current_user)
    flash(_("Workflow %(name)s deleted.", name=workflow.name), "info")
    return redirect(url_for("workflows.index"), code=303)


# A workflow's page --------------------------------------------------------------------------------


@bp.route("/<int:workflow_id>")
@role_required("manager")
def detail(workflow_id: int):
    workflow = _workflow(workflow_id)
    state = request.args.get("state", "")
    state = state if state in RUN_STATES else ""
    before_id = request.args.get("before", type=row_id)
    runs = service.runs_of(workflow, state=state or None, before_id=before_id)
    counts = dict(next(counts for wf, counts in service.workflows_of(org_id()) if wf.id == workflow.id))
    names = {
        "labels": {label.id: label.name for label in Label.for_org(org_id())},
        "segments": {segment.id: segment.name for segment in Segment.for_org(org_id())},
        "templates": dict(_choices()["templates"]),
    }
    more = len(runs) == service.RUNS_PAGE
    fragment = "console/workflows/_runs.html" if is_fragment_request() and request.args.get("runs") else None
    return render_page(
        "console/workflows/detail.html",
        fragment or "console/workflows/detail.html",
        workflow=workflow,
        runs=runs,
        counts=counts,
        state=state,
        more=more,
        names=names,
        **_context(),
    )
