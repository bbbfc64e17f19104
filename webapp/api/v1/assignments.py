"""Contacts assigned to an event (not participants) and their one-click invitations: the same
service as the event's Assigned customers page."""

from __future__ import annotations

from webapp.api.framework import invalid, operation
from webapp.api.schema import Array, Bool, DateTime, Int, Line, Obj, Out, Str
from webapp.api.v1.common import actor_label
from webapp.api.v1.events import get_event
from webapp.orders import assignments, invitations
from webapp.orders.models import EventAssignment

TAG = "Events"


def _out(row: assignments.AssignedRow) -> dict:
    a = row.assignment
    return {
        "id": a.id,
        "contact_id": row.contact.id,
        "email": row.contact.email,
        "name": row.contact.name,
        "note": a.note,
        "assigned_by": row.assigned_by.email if row.assigned_by else None,
        "invitation_code": row.invitation.code if row.invitation else None,
        "invited_at": row.invitation.sent_at if row.invitation else None,
        "registered": row.registered,
        "created_at": a.created_at,
    }


AssignmentOut = Out(
    "EventAssignment",
    {
        "id": Int(),
        "contact_id": Int(),
        "email": Str(),
        "name": Str(),
        "note": Str(),
        "assigned_by": Str(null=True, description="The member who assigned the contact (null: an API key)."),
        "invitation_code": Str(null=True),
        "invited_at": DateTime(null=True),
        "registered": Bool(description="The contact holds a registration for the event."),
        "created_at": DateTime(),
    },
)
AssignmentCreate = Obj(
    "EventAssignmentCreate",
    {
        "email": Line(min_length=1, max_length=254, description="A contact of the organization."),
        "note": Str(max_length=assignments.NOTE_MAX),
    },
    required=("email",),
)


def _row(event, assignment_id: int) -> dict:
    for row in assignments.for_event(event):
        if row.assignment.id == assignment_id:
            return _out(row)
    raise EventAssignment.DoesNotExist


@operation(
    "GET",
    "/events/<int:event_id>/assignments",
    tag=TAG,
    scope="events",
    summary="List the contacts assigned to an event",
    response=Out("EventAssignments", {"items": Array(AssignmentOut)}),
)
def list_assignments(event_id):
    return {"items": [_out(row) for row in assignments.for_event(get_event(event_id))]}


@operation(
    "POST",
    "/events/<int:event_id>/assignments",
    tag=TAG,
    scope="events",
    summary="Assign a contact to an event",
    body=AssignmentCreate,
    response=AssignmentOut,
    status=201,
)
def create_assignment(event_id, body):
    """422 when no contact has the address or it is already assigned to the event."""
    event = get_event(event_id)
    try:
        assignment = assignments.assign(
            event, body["email"], body.get("note", ""), actor=None, actor_label=actor_label()
        )
    except assignments.AssignmentError as exc:
        raise invalid(str(exc), **{exc.field: str(exc)}) from None
    return _row(event, assignment.id)


@operation(
    "POST",
    "/events/<int:event_id>/assignments/<int:assignment_id>/invite",
    tag=TAG,
    scope="events",
    summary="Send the assigned contact an invitation (again, if one was sent)",
    response=AssignmentOut,
)
def invite_assignment(event_id, assignment_id):
    event = get_event(event_id)
    try:
        assignments.invite(event, assignment_id, actor=None)
    except invitations.InvitationError as exc:
        raise invalid(str(exc)) from None
    return _row(event, assignment_id)


@operation(
    "DELETE",
    "/events/<int:event_id>/assignments/<int:assignment_id>",
    tag=TAG,
    scope="events",
    summary="Remove a contact from an event's assigned list",
    response=Out("EventAssignmentDeleted", {"id": Int(), "deleted": Bool()}),
)
def delete_assignment(event_id, assignment_id):
    assignments.unassign(get_event(event_id), assignment_id, actor=None, actor_label=actor_label())
    return {"id": assignment_id, "deleted": True}
