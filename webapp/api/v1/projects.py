"""Projects: list, create, read (with the combined figures of its events), update, delete; its
event links, milestones and tasks. The same services as the console (webapp/projects)."""

from __future__ import annotations

from flask import g

from webapp.api.framework import operation
from webapp.api.schema import Array, Bool, DateTime, Int, Line, Map, Obj, Out, Str
from webapp.api.v1.common import MAX_ID, actor_label, field_error
from webapp.api.v1.resource import OrgResource, guarded
from webapp.projects import figures, service
from webapp.projects.models import TASK_STATUSES, Project

TAG = "Projects"
SCOPE = "events"
DATE = r"^\d{4}-\d{2}-\d{2}$"


def _date(attr: str):
    return lambda row: getattr(row, attr).isoformat() if getattr(row, attr) else None


EventFiguresOut = Out(
    "ProjectEventFigures",
    {
        "event_id": Int(source=lambda f: f.event.id),
        "name": Str(source=lambda f: f.event.name),
        "registered": Int(),
        "checked_in": Int(),
        "revenue": Map(Int(), description="Minor units per currency (never added across currencies)."),
    },
)
ProjectOut = Out(
    "Project",
    {
        "id": Int(),
        "name": Str(),
        "description": Str(),
        "event_ids": Array(Int(), source=lambda p: sorted(service.event_ids(p))),
        "created_at": DateTime(),
        "updated_at": DateTime(),
    },
)
ProjectDetailOut = Out(
    "ProjectDetail",
    {
        **ProjectOut.fields,
        "registered": Int(source=lambda p: p.figures.registered, description="Valid tickets over its events."),
        "checked_in": Int(source=lambda p: p.figures.checked_in),
        "revenue": Map(
            Int(),
            source=lambda p: p.figures.revenue,
            description='Money collected per currency, in minor units: {"IDR": 450000, "USD": 2500}.',
        ),
        "events": Array(EventFiguresOut, source=lambda p: p.figures.events),
    },
)
ProjectWrite = {"name": Line(min_length=1, max_length=service.NAME_MAX), "description": Str(max_length=5000)}
MilestoneOut = Out(
    "Milestone",
    {"id": Int(), "title": Str(), "due_on": Str(source=_date("due_on"), format="date"), "done": Bool()},
)
MilestoneWrite = {
    "title": Line(min_length=1, max_length=service.NAME_MAX),
    "due_on": Str(pattern=DATE, format="date", description="YYYY-MM-DD"),
    "done": Bool(),
}
TaskOut = Out(
    "ProjectTask",
    {
        "id": Int(),
        "title": Str(),
        "assignee_id": Int(null=True, description="A member of the organization (a user id)."),
        "due_on": Str(null=True, source=_date("due_on"), format="date"),
        "status": Str(enum=TASK_STATUSES),
    },
)
TaskWrite = {
    "title": Line(min_length=1, max_length=service.NAME_MAX),
    "assignee_id": Int(minimum=1, maximum=MAX_ID, null=True),
    "due_on": Str(pattern=DATE, format="date", null=True, description="YYYY-MM-DD"),
    "status": Str(enum=TASK_STATUSES),
}


def _detail(project: Project) -> Project:
    project.figures = figures.figures(project)
    return project


ERRORS = {service.ProjectError: field_error}
PROJECTS = OrgResource(Project, "/projects", "project", "projects", tag=TAG, scope=SCOPE, errors=ERRORS)
get_project = PROJECTS.get
list_projects = PROJECTS.list(summary="List projects", page=ProjectOut)
create_project = PROJECTS.create(
    summary="Create a project",
    body=Obj("ProjectCreate", ProjectWrite, required=("name",)),
    response=ProjectDetailOut,
    make=lambda body: service.create(
        g.api_org_id, body["name"], body.get("description", ""), actor=None, actor_label=actor_label()
    ),
    show=_detail,
)
read_project = PROJECTS.read(
    summary="Get a project with the combined registrations, check-ins and revenue of its events",
    response=ProjectDetailOut,
    show=_detail,
)
update_project = PROJECTS.update(
    summary="Update a project",
    body=Obj("ProjectUpdate", ProjectWrite),
    response=ProjectDetailOut,
    change=lambda project, body: service.update(project, body, actor=None, actor_label=actor_label()),
    show=_detail,
)
delete_project = PROJECTS.delete(
    summary="Delete a project (its events stay)",
    remove=lambda project: service.delete(project, actor=None, actor_label=actor_label()),
)


# --- events ---------------------------------------------------------------------------------------

LinkOut = Out("ProjectEventLink", {"project_id": Int(), "event_id": Int(), "linked": Bool()})


@operation(
    "POST",
    "/projects/<int:project_id>/events",
    tag=TAG,
    scope=SCOPE,
    summary="Link an event to a project",
    body=Obj("ProjectEventLinkCreate", {"event_id": Int(minimum=1, maximum=MAX_ID)}, required=("event_id",)),
    response=LinkOut,
    status=201,
)
def link_project_event(project_id, body):
    """Linking groups the event under the project; it assigns nobody to the event. 422 for an
    event of another organization."""
    project = get_project(project_id)
    event = guarded(ERRORS, service.link_event, project, body["event_id"], actor=None, actor_label=actor_label())
    return {"project_id": project.id, "event_id": event.id, "linked": True}


@operation(
    "DELETE",
    "/projects/<int:project_id>/events/<int:event_id>",
    tag=TAG,
    scope=SCOPE,
    summary="Unlink an event from a project",
    response=LinkOut,
)
def unlink_project_event(project_id, event_id):
    project = get_project(project_id)
    service.unlink_event(project, event_id, actor=None, actor_label=actor_label())  # not linked: 404
    return {"project_id": project.id, "event_id": event_id, "linked": False}


# --- milestones -----------------------------------------------------------------------------------


@operation(
    "GET",
    "/projects/<int:project_id>/milestones",
    tag=TAG,
    scope=SCOPE,
    summary="List a project's milestones",
    response=Out("Milestones", {"items": Array(MilestoneOut)}),
)
def list_milestones(project_id):
    return {"items": service.milestones(get_project(project_id))}


@operation(
    "POST",
    "/projects/<int:project_id>/milestones",
    tag=TAG,
    scope=SCOPE,
    summary="Add a milestone",
    body=Obj("MilestoneCreate", MilestoneWrite, required=("title", "due_on")),
    response=MilestoneOut,
    status=201,
)
def create_milestone(project_id, body):
    project = get_project(project_id)
    milestone = guarded(
        ERRORS, service.add_milestone, project, body["title"], body["due_on"], actor=None, actor_label=actor_label()
    )
    if body.get("done"):
        milestone = guarded(
            ERRORS, service.update_milestone, project, milestone.id, {"done": True}, actor=None,
            actor_label=actor_label(),
        )  # fmt: skip
    return milestone


@operation(
    "PATCH",
    "/projects/<int:project_id>/milestones/<int:milestone_id>",
    tag=TAG,
    scope=SCOPE,
    summary="Update a milestone (title, date, done)",
    body=Obj("MilestoneUpdate", MilestoneWrite),
    response=MilestoneOut,
)
def update_milestone(project_id, milestone_id, body):
    project = get_project(project_id)
    return guarded(ERRORS, service.update_milestone, project, milestone_id, body, actor=None, actor_label=actor_label())


@operation(
    "DELETE",
    "/projects/<int:project_id>/milestones/<int:milestone_id>",
    tag=TAG,
    scope=SCOPE,
    summary="Delete a milestone",
    response=Out("MilestoneDeleted", {"id": Int(), "deleted": Bool()}),
)
def delete_milestone(project_id, milestone_id):
    service.delete_milestone(get_project(project_id), milestone_id, actor=None, actor_label=actor_label())
    return {"id": milestone_id, "deleted": True}


# --- tasks ----------------------------------------------------------------------------------------


@operation(
    "GET",
    "/projects/<int:project_id>/tasks",
    tag=TAG,
    scope=SCOPE,
    summary="List a project's tasks",
    response=Out("ProjectTasks", {"items": Array(TaskOut)}),
)
def list_tasks(project_id):
    return {"items": service.tasks(get_project(project_id))}


@operation(
    "POST",
    "/projects/<int:project_id>/tasks",
    tag=TAG,
    scope=SCOPE,
    summary="Add a task",
    body=Obj("ProjectTaskCreate", TaskWrite, required=("title",)),
    response=TaskOut,
    status=201,
)
def create_task(project_id, body):
    """422 when the assignee is not a member of the organization."""
    return guarded(
        ERRORS, service.add_task, get_project(project_id), body["title"], assignee_id=body.get("assignee_id"),
        due_on=body.get("due_on"), status=body.get("status", "todo"), actor=None, actor_label=actor_label(),
    )  # fmt: skip


@operation(
    "PATCH",
    "/projects/<int:project_id>/tasks/<int:task_id>",
    tag=TAG,
    scope=SCOPE,
    summary="Update a task (title, assignee, due date, status)",
    body=Obj("ProjectTaskUpdate", TaskWrite),
    response=TaskOut,
)
def update_task(project_id, task_id, body):
    project = get_project(project_id)
    return guarded(ERRORS, service.update_task, project, task_id, body, actor=None, actor_label=actor_label())


@operation(
    "DELETE",
    "/projects/<int:project_id>/tasks/<int:task_id>",
    tag=TAG,
    scope=SCOPE,
    summary="Delete a task",
    response=Out("ProjectTaskDeleted", {"id": Int(), "deleted": Bool()}),
)
def delete_task(project_id, task_id):
    service.delete_task(get_project(project_id), task_id, actor=None, actor_label=actor_label())
    return {"id": task_id, "deleted": True}
