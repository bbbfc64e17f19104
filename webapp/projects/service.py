"""Projects: create, edit and delete them, link events, keep milestones and tasks. Every write is
scoped to the project's organization and lands in the audit trail; the console and the API call
the same functions (`actor` a member, or `actor_label` an API key)."""

from __future__ import annotations

import datetime as dt

import peewee as pw

from webapp.accounts import audit
from webapp.accounts.models import Membership, User
from webapp.db import db, utcnow
from webapp.documents import service as documents
from webapp.events.models import Event
from webapp.guards import has_control_characters
from webapp.i18n import _, stored_text
from webapp.projects.models import TASK_STATUSES, Milestone, Project, ProjectEvent, ProjectTask

NAME_MAX = 200
DESCRIPTION_MAX = 5000
MAX_ID = 2**31 - 1


class ProjectError(ValueError):
    """Input a project cannot take; `field` names the form or API field it is about."""

    def __init__(self, message: str, field: str = "name"):
        super().__init__(message)
        self.field, self.message = field, message


# --- input ----------------------------------------------------------------------------------------


def _line(value, field: str, *, required: bool = True, max_length: int = NAME_MAX) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise ProjectError(_("Enter text."), field)
    if required and not text:
        raise ProjectError(_("Required."), field)
    if len(text) > max_length:
        raise ProjectError(_("At most %(num)d characters.", num=max_length), field)
    if has_control_characters(text) or not _encodable(text):
        raise ProjectError(_("Use one line of plain text."), field)
    return text


def _text(value, field: str, max_length: int) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None or "\x00" in text or not _encodable(text):
        raise ProjectError(_("Enter text."), field)
    if len(text) > max_length:
        raise ProjectError(_("At most %(num)d characters.", num=max_length), field)
    return text


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def parse_date(value, field: str, *, required: bool) -> dt.date | None:
    """A date given as YYYY-MM-DD (a form's date input, the API) or already a date."""
    if isinstance(value, dt.date):
        return value
    text = (value or "").strip() if isinstance(value, str) or value is None else "?"
    if not text:
        if required:
            raise ProjectError(_("Enter a date."), field)
        return None
    try:
        parsed = dt.date.fromisoformat(text)
    except ValueError:
        raise ProjectError(_("Enter a date as YYYY-MM-DD."), field) from None
    if not 2000 <= parsed.year <= 2100:
        raise ProjectError(_("Enter a date between 2000 and 2100."), field)
    return parsed


def _assignee(org_id: int, value) -> int | None:
    if value in (None, "", 0):
        return None
    try:
        user_id = int(value)
    except (TypeError, ValueError):
        raise ProjectError(_("Choose a member of the organization."), "assignee_id") from None
    member = Membership.get_or_none(
        (Membership.organization == org_id) & (Membership.user == user_id) if 1 <= user_id <= MAX_ID else False
    )
    if member is None:
        raise ProjectError(_("Choose a member of the organization."), "assignee_id")
    return user_id


def _status(value) -> str:
    if value not in TASK_STATUSES:
        raise ProjectError(_("Choose a status."), "status")
    return value


# --- projects -------------------------------------------------------------------------------------


def _record(project: Project, action: str, actor: User | None, actor_label: str | None, summary: str, **kw):
    audit.record(project.organization_id, action, user=actor, actor=actor_label, target=project, summary=summary, **kw)


def create(org_id: int, name, description="", *, actor: User | None, actor_label: str | None = None) -> Project:
    name, description = _line(name, "name"), _text(description, "description", DESCRIPTION_MAX)
    with db.atomic():
        project = Project.create(
            organization=org_id, name=name, description=description, created_by=actor.id if actor else None
        )
        _record(project, "project.create", actor, actor_label, stored_text("Created project %(name)s", name=name))
    return project


def update(project: Project, fields: dict, *, actor: User | None, actor_label: str | None = None) -> dict:
    """Change the given fields (name, description); returns {field: [old, new]}."""
    clean = {}
    if "name" in fields:
        clean["name"] = _line(fields["name"], "name")
    if "description" in fields:
        clean["description"] = _text(fields["description"], "description", DESCRIPTION_MAX)
    with db.atomic():
        changes = audit.diff(project, clean)
        if changes:
            project.updated_at = utcnow()
            project.save()
            _record(
                project,
                "project.update",
                actor,
                actor_label,
                stored_text("Edited project %(project)s", project=project.name),
                changes=changes,
            )
    return changes


def delete(project: Project, *, actor: User | None, actor_label: str | None = None) -> None:
    """Delete the project and its documents (their stored bytes once committed); its events stay."""
    with db.atomic():
        _record(
            project,
            "project.delete",
            actor,
            actor_label,
            stored_text("Deleted project %(project)s", project=project.name),
        )
        documents.remove_all(documents.Owner.of_project(project))
        project.delete_instance()


# --- events ---------------------------------------------------------------------------------------


def link_event(project: Project, event_id, *, actor: User | None, actor_label: str | None = None) -> Event:
    """Link an event of the organization to the project (linking it again changes nothing)."""
    try:
        event_id = int(event_id)
    except (TypeError, ValueError):
        raise ProjectError(_("Choose an event."), "event_id") from None
    event = Event.get_or_none(
        (Event.id == event_id) & (Event.organization == project.organization_id) if 1 <= event_id <= MAX_ID else False
    )
    if event is None:
        raise ProjectError(_("No such event in this organization."), "event_id")
    with db.atomic():
        created = (
            ProjectEvent.insert(organization=project.organization_id, project=project.id, event=event.id)
            .on_conflict_ignore()
            .execute()
        )
        if created:
            _record(
                project,
                "project.link_event",
                actor,
                actor_label,
                stored_text("Linked %(event)s to %(project)s", event=event.name, project=project.name),
            )
    return event


def unlink_event(project: Project, event_id: int, *, actor: User | None, actor_label: str | None = None) -> None:
    with db.atomic():
        link = ProjectEvent.get((ProjectEvent.project == project.id) & (ProjectEvent.event == event_id))
        event = Event.get_by_id(link.event_id)
        link.delete_instance()
        _record(
            project,
            "project.unlink_event",
            actor,
            actor_label,
            stored_text("Unlinked %(event)s from %(project)s", event=event.name, project=project.name),
        )


def events(project: Project) -> list[Event]:
    return list(
        Event.select()
        .join(ProjectEvent, on=(ProjectEvent.event == Event.id))
        .where((ProjectEvent.project == project.id) & (Event.organization == project.organization_id))
        .order_by(Event.starts_at, Event.id)
    )


def event_ids(project: Project) -> list[int]:
    return event_ids_of(project.id)


def event_ids_of(project_id: int) -> list[int]:
    return [link.event_id for link in ProjectEvent.select(ProjectEvent.event).where(ProjectEvent.project == project_id)]


def project_ids_of_event(event_id: int) -> list[int]:
    """The projects holding an event: their documents shared with participants reach its lobby."""
    return [link.project_id for link in ProjectEvent.select(ProjectEvent.project).where(ProjectEvent.event == event_id)]


# --- milestones -----------------------------------------------------------------------------------


def add_milestone(project: Project, title, due_on, *, actor: User | None, actor_label: str | None = None) -> Milestone:
    title, due = _line(title, "title"), parse_date(due_on, "due_on", required=True)
    with db.atomic():
        milestone = Milestone.create(organization=project.organization_id, project=project.id, title=title, due_on=due)
        _record(
            project,
            "project.milestone",
            actor,
            actor_label,
            stored_text("Milestone %(title)s (%(due)s) in %(project)s", title=title, due=due, project=project.name),
        )
    return milestone


def update_milestone(
    project: Project, milestone_id: int, fields: dict, *, actor: User | None, actor_label: str | None = None
) -> Milestone:
    milestone = Milestone.get((Milestone.id == milestone_id) & (Milestone.project == project.id))
    clean: dict = {}
    if "title" in fields:
        clean["title"] = _line(fields["title"], "title")
    if "due_on" in fields:
        clean["due_on"] = parse_date(fields["due_on"], "due_on", required=True)
    if "done" in fields:
        if not isinstance(fields["done"], bool):
            raise ProjectError(_("Use true or false."), "done")
        clean["done"] = fields["done"]
    with db.atomic():
        changes = audit.diff(milestone, clean)
        if changes:
            milestone.save()
            _record(
                project, "project.milestone", actor, actor_label, stored_text("Milestone %(title)s changed", title=milestone.title),
                changes={k: [str(a), str(b)] for k, (a, b) in changes.items()},
            )  # fmt: skip
    return milestone


def delete_milestone(project: Project, milestone_id: int, *, actor: User | None, actor_label: str | None = None):
    with db.atomic():
        milestone = Milestone.get((Milestone.id == milestone_id) & (Milestone.project == project.id))
        milestone.delete_instance()
        _record(
            project,
            "project.milestone",
            actor,
            actor_label,
            stored_text("Milestone %(title)s deleted", title=milestone.title),
        )


def milestones(project: Project) -> list[Milestone]:
    return list(Milestone.select().where(Milestone.project == project.id).order_by(Milestone.due_on, Milestone.id))


# --- tasks ----------------------------------------------------------------------------------------


def add_task(
    project: Project,
    title,
    *,
    assignee_id=None,
    due_on=None,
    status="todo",
    actor: User | None,
    actor_label: str | None = None,
) -> ProjectTask:
    title = _line(title, "title")
    assignee = _assignee(project.organization_id, assignee_id)
    due, status = parse_date(due_on, "due_on", required=False), _status(status)
    with db.atomic():
        task = ProjectTask.create(
            organization=project.organization_id,
            project=project.id,
            title=title,
            assignee=assignee,
            due_on=due,
            status=status,
        )
        _record(
            project,
            "project.task",
            actor,
            actor_label,
            stored_text("Task %(title)s in %(project)s", title=title, project=project.name),
        )
    return task


def update_task(
    project: Project, task_id: int, fields: dict, *, actor: User | None, actor_label: str | None = None
) -> ProjectTask:
    task = ProjectTask.get((ProjectTask.id == task_id) & (ProjectTask.project == project.id))
    clean: dict = {}
    if "title" in fields:
        clean["title"] = _line(fields["title"], "title")
    if "assignee_id" in fields:
        clean["assignee_id"] = _assignee(project.organization_id, fields["assignee_id"])
    if "due_on" in fields:
        clean["due_on"] = parse_date(fields["due_on"], "due_on", required=False)
    if "status" in fields:
        clean["status"] = _status(fields["status"])
    with db.atomic():
        changes = audit.diff(task, clean)
        if changes:
            task.save()
            _record(
                project, "project.task", actor, actor_label, stored_text("Task %(title)s changed", title=task.title),
                changes={k: [str(a), str(b)] for k, (a, b) in changes.items()},
            )  # fmt: skip
    return task


def delete_task(project: Project, task_id: int, *, actor: User | None, actor_label: str | None = None) -> None:
    with db.atomic():
        task = ProjectTask.get((ProjectTask.id == task_id) & (ProjectTask.project == project.id))
        task.delete_instance()
        _record(project, "project.task", actor, actor_label, stored_text("Task %(title)s deleted", title=task.title))


def tasks(project: Project) -> list[ProjectTask]:
    Assignee = User.alias()
    return list(
        ProjectTask.select(ProjectTask, Assignee)
        .join(Assignee, pw.JOIN.LEFT_OUTER, on=(ProjectTask.assignee == Assignee.id), attr="assigned")
        .where(ProjectTask.project == project.id)
        .order_by(ProjectTask.status == "done", ProjectTask.due_on.is_null(), ProjectTask.due_on, ProjectTask.id)
    )


def members(org_id: int) -> list[User]:
    """Who a task may be assigned to: the organization's members."""
    return list(
        User.select(User)
        .join(Membership, on=(Membership.user == User.id))
        .where(Membership.organization == org_id)
        .order_by(User.name, User.id)
    )
