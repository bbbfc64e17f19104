"""Console: projects. The list, a project's page with its tabs (overview with the combined figures,
events, milestones, tasks, documents, participants, emails), and the forms that change them.

An organization manager (or higher) sees and edits every project. A member with event grants
sees, read only, the projects that hold an event granted to them, and in them only those events
(their figures and participants)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user

from webapp.accounts.access import events_reader_required, granted_event_ids, has_role, org_id, role_required
from webapp.campaigns.models import Campaign
from webapp.documents import service as document_service
from webapp.documents.views import upload_from_form
from webapp.events.models import Event
from webapp.i18n import _
from webapp.projects import figures, service
from webapp.projects.models import Milestone, Project, ProjectEvent, ProjectTask

bp = Blueprint("projects", __name__, url_prefix="/console/projects")

TABS = ("overview", "events", "milestones", "tasks", "documents", "participants", "emails")


def _actor():
    return current_user._get_current_object()


def _reachable() -> list[int] | None:
    """None: every event (an organization manager); else the events the member's grants read."""
    return granted_event_ids("participants")


def project_or_404(project_id: int) -> Project:
    """The organization's project, if this member may see it (another's, or one they may not: 404)."""
    project = Project.get_or_none((Project.id == project_id) & (Project.organization == org_id()))
    reachable = _reachable()
    if project is None or (reachable is not None and not set(reachable) & set(service.event_ids(project))):
        abort(404)
    return project


def _task_statuses() -> dict[str, str]:
    return {"todo": _("To do"), "doing": _("In progress"), "done": _("Done")}


@bp.route("/")
@events_reader_required
def index():
    projects = list(figures.visible(org_id(), _reachable()))
    counts: dict[int, int] = {}
    for link in ProjectEvent.select(ProjectEvent.project).where(
        ProjectEvent.project.in_([p.id for p in projects] or [0])
    ):
        counts[link.project_id] = counts.get(link.project_id, 0) + 1
    return render_template("console/projects/list.html", projects=projects, event_counts=counts)


@bp.route("/new", methods=["GET", "POST"])
@role_required("manager")
def new():
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in ("name", "description")}
        try:
            project = service.create(org_id(), values["name"], values["description"], actor=_actor())
        except service.ProjectError as exc:
            errors, status = {exc.field: exc.message}, 422
        else:
            flash(_("Project created. Link its events next."), "success")
            return redirect(url_for("projects.events", project_id=project.id), code=303)
    return render_template("console/projects/new.html", values=values, errors=errors), status


def _page(project: Project, tab: str, status: int = 200, **context):
    return render_template(
        f"console/projects/{tab}.html",
        project=project,
        tab=tab,
        tabs=TABS,
        can_edit=has_role("manager"),
        **context,
    ), status


@bp.route("/<int:project_id>")
@events_reader_required
def overview(project_id: int):
    project = project_or_404(project_id)
    return _page(
        project,
        "overview",
        figures=figures.figures(project, _reachable()),
        milestones=service.milestones(project),
        values={},
        errors={},
    )


@bp.route("/<int:project_id>", methods=["POST"])
@role_required("manager")
def edit(project_id: int):
    project = project_or_404(project_id)
    values = {k: request.form.get(k, "") for k in ("name", "description")}
    try:
        changes = service.update(project, values, actor=_actor())
    except service.ProjectError as exc:
        project = Project.get_by_id(project.id)
        return _page(
            project, "overview", 422, figures=figures.figures(project), milestones=service.milestones(project),
            values=values, errors={exc.field: exc.message},
        )  # fmt: skip
    flash(_("Saved.") if changes else _("Nothing changed."), "success")
    return redirect(url_for("projects.overview", project_id=project.id), code=303)


@bp.route("/<int:project_id>/delete", methods=["POST"])
@role_required("manager")
def delete(project_id: int):
    project = project_or_404(project_id)
    service.delete(project, actor=_actor())
    flash(_("Project deleted. Its events are unchanged."), "success")
    return redirect(url_for("projects.index"), code=303)


# --- events ---------------------------------------------------------------------------------------


def _events_page(project: Project, status: int = 200, errors: dict | None = None):
    linked = service.events(project)
    reachable = _reachable()
    if reachable is not None:
        linked = [e for e in linked if e.id in reachable]
    linked_ids = {e.id for e in linked}
    choices = []
    if has_role("manager"):
        choices = [e for e in Event.for_org(org_id()).order_by(Event.starts_at.desc()) if e.id not in linked_ids]
    return _page(project, "events", status, linked=linked, choices=choices, errors=errors or {})


@bp.route("/<int:project_id>/events")
@events_reader_required
def events(project_id: int):
    return _events_page(project_or_404(project_id))


@bp.route("/<int:project_id>/events", methods=["POST"])
@role_required("manager")
def link_event(project_id: int):
    project = project_or_404(project_id)
    try:
        event = service.link_event(project, request.form.get("event_id"), actor=_actor())
    except service.ProjectError as exc:
        return _events_page(project, 422, {exc.field: exc.message})
    flash(_("%(event)s is part of the project.", event=event.name), "success")
    return redirect(url_for("projects.events", project_id=project.id), code=303)


@bp.route("/<int:project_id>/events/<int:event_id>/unlink", methods=["POST"])
@role_required("manager")
def unlink_event(project_id: int, event_id: int):
    project = project_or_404(project_id)
    try:
        service.unlink_event(project, event_id, actor=_actor())
    except ProjectEvent.DoesNotExist:
        abort(404)
    flash(_("The event is no longer part of the project."), "success")
    return redirect(url_for("projects.events", project_id=project.id), code=303)


# --- milestones -----------------------------------------------------------------------------------


def _milestones_page(project: Project, status: int = 200, values=None, errors=None):
    return _page(
        project, "milestones", status, milestones=service.milestones(project), values=values or {}, errors=errors or {}
    )


@bp.route("/<int:project_id>/milestones")
@events_reader_required
def milestones(project_id: int):
    return _milestones_page(project_or_404(project_id))


@bp.route("/<int:project_id>/milestones", methods=["POST"])
@role_required("manager")
def add_milestone(project_id: int):
    project = project_or_404(project_id)
    values = {k: request.form.get(k, "") for k in ("title", "due_on")}
    try:
        service.add_milestone(project, values["title"], values["due_on"], actor=_actor())
    except service.ProjectError as exc:
        return _milestones_page(project, 422, values, {exc.field: exc.message})
    flash(_("Milestone added."), "success")
    return redirect(url_for("projects.milestones", project_id=project.id), code=303)


@bp.route("/<int:project_id>/milestones/<int:milestone_id>/done", methods=["POST"])
@role_required("manager")
def milestone_done(project_id: int, milestone_id: int):
    project = project_or_404(project_id)
    try:
        service.update_milestone(project, milestone_id, {"done": request.form.get("done") == "y"}, actor=_actor())
    except Milestone.DoesNotExist:
        abort(404)
    return redirect(url_for("projects.milestones", project_id=project.id), code=303)


@bp.route("/<int:project_id>/milestones/<int:milestone_id>/delete", methods=["POST"])
@role_required("manager")
def delete_milestone(project_id: int, milestone_id: int):
    project = project_or_404(project_id)
    try:
        service.delete_milestone(project, milestone_id, actor=_actor())
    except Milestone.DoesNotExist:
        abort(404)
    flash(_("Milestone deleted."), "success")
    return redirect(url_for("projects.milestones", project_id=project.id), code=303)


# --- tasks ----------------------------------------------------------------------------------------


def _tasks_page(project: Project, status: int = 200, values=None, errors=None):
    return _page(
        project,
        "tasks",
        status,
        tasks=service.tasks(project),
        members=service.members(project.organization_id) if has_role("manager") else [],
        statuses=_task_statuses(),
        values=values or {},
        errors=errors or {},
    )


@bp.route("/<int:project_id>/tasks")
@events_reader_required
def tasks(project_id: int):
    return _tasks_page(project_or_404(project_id))


@bp.route("/<int:project_id>/tasks", methods=["POST"])
@role_required("manager")
def add_task(project_id: int):
    project = project_or_404(project_id)
    values = {k: request.form.get(k, "") for k in ("title", "assignee_id", "due_on", "status")}
    try:
        service.add_task(
            project, values["title"], assignee_id=values["assignee_id"], due_on=values["due_on"],
            status=values["status"] or "todo", actor=_actor(),
        )  # fmt: skip
    except service.ProjectError as exc:
        return _tasks_page(project, 422, values, {exc.field: exc.message})
    flash(_("Task added."), "success")
    return redirect(url_for("projects.tasks", project_id=project.id), code=303)


@bp.route("/<int:project_id>/tasks/<int:task_id>/status", methods=["POST"])
@role_required("manager")
def task_status(project_id: int, task_id: int):
    project = project_or_404(project_id)
    try:
        service.update_task(project, task_id, {"status": request.form.get("status")}, actor=_actor())
    except ProjectTask.DoesNotExist:
        abort(404)
    except service.ProjectError as exc:
        flash(exc.message, "error")
    return redirect(url_for("projects.tasks", project_id=project.id), code=303)


@bp.route("/<int:project_id>/tasks/<int:task_id>/delete", methods=["POST"])
@role_required("manager")
def delete_task(project_id: int, task_id: int):
    project = project_or_404(project_id)
    try:
        service.delete_task(project, task_id, actor=_actor())
    except ProjectTask.DoesNotExist:
        abort(404)
    flash(_("Task deleted."), "success")
    return redirect(url_for("projects.tasks", project_id=project.id), code=303)


# --- documents ------------------------------------------------------------------------------------


def _documents_page(project: Project, status: int = 200, errors=None, values=None):
    return _page(
        project, "documents", status, documents=document_service.for_owner(document_service.Owner.of_project(project)),
        may_manage=has_role("manager"), errors=errors or {}, values=values or {},
        max_mb=document_service.MAX_BYTES // (1024 * 1024),
    )  # fmt: skip


@bp.route("/<int:project_id>/documents")
@events_reader_required
def documents(project_id: int):
    return _documents_page(project_or_404(project_id))


@bp.route("/<int:project_id>/documents", methods=["POST"])
@role_required("manager")
def upload_document(project_id: int):
    project = project_or_404(project_id)
    errors = upload_from_form(document_service.Owner.of_project(project))
    if errors:
        return _documents_page(project, 422, errors, request.form)
    return redirect(url_for("projects.documents", project_id=project.id), code=303)


# --- participants and emails ----------------------------------------------------------------------

PARTICIPANTS_SHOWN = 500


@bp.route("/<int:project_id>/participants")
@events_reader_required
def participants(project_id: int):
    project = project_or_404(project_id)
    only = _reachable()
    return _page(
        project,
        "participants",
        rows=figures.participants(project, only=only, limit=PARTICIPANTS_SHOWN),
        total=figures.participant_count(project, only),
        shown=PARTICIPANTS_SHOWN,
    )


@bp.route("/<int:project_id>/participants.csv")
@events_reader_required
def participants_csv(project_id: int):
    project = project_or_404(project_id)
    # Streamed in keyset batches inside the request context (its database connection stays open).
    response = Response(stream_with_context(figures.participants_csv(project, _reachable())), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="project-{project.id}-participants.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:project_id>/emails")
@role_required("manager")
def emails(project_id: int):
    project = project_or_404(project_id)
    sent = list(
        Campaign.for_org(org_id())
        .where(Campaign.project_id == project.id)
        .order_by(Campaign.created_at.desc(), Campaign.id.desc())
    )
    return _page(project, "emails", campaigns=sent)
