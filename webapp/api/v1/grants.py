"""Who may do what on an event: the members' per-event grants (manager, staff, door, guide), the
same service as the event's Team & access page (webapp.accounts.grants). Each change is in the
audit trail with the API key named."""

from __future__ import annotations

from webapp.accounts import grants
from webapp.accounts.models import GRANT_ROLES, EventGrant
from webapp.accounts.service import AccountError
from webapp.api.framework import invalid, not_found, operation
from webapp.api.schema import Array, Bool, DateTime, Int, Obj, Out, Str
from webapp.api.v1.common import MAX_ID, actor_label, org_id
from webapp.api.v1.events import get_event

TAG = "Team"

# The body's names for the service's fields.
FIELDS = {"user": "user_id", "role": "role"}

GrantOut = Out(
    "EventGrant",
    {
        "id": Int(),
        "event_id": Int(),
        "user_id": Int(),
        "email": Str(),
        "name": Str(),
        "role": Str(enum=GRANT_ROLES),
        "created_at": DateTime(),
    },
)
GrantCreate = Obj(
    "EventGrantCreate",
    {
        "user_id": Int(minimum=1, maximum=MAX_ID, description="A member of the organization."),
        "role": Str(enum=GRANT_ROLES, description="manager, staff, door or guide."),
    },
    required=("user_id", "role"),
)
GrantChange = Obj("EventGrantChange", {"role": Str(enum=GRANT_ROLES)}, required=("role",))
GrantList = Out("EventGrants", {"items": Array(GrantOut)})


def _out(row: EventGrant) -> dict:
    return {
        "id": row.id,
        "event_id": row.event_id,
        "user_id": row.user.id,
        "email": row.user.email,
        "name": row.user.name,
        "role": row.role,
        "created_at": row.created_at,
    }


def _grant(event_id: int, grant_id: int) -> EventGrant:
    for row in grants.grants_for_event(org_id(), event_id):
        if row.id == grant_id:
            return row
    raise not_found("No such grant on this event.")


def _give(event_id: int, user_id: int, role: str) -> EventGrant:
    try:
        given = grants.grant(org_id(), event_id, user_id, role, actor=None, actor_label=actor_label())
    except AccountError as exc:
        field = FIELDS.get(exc.field or "", "body")
        raise invalid(str(exc), **{field: str(exc)}) from None
    return _grant(event_id, given.id)


@operation(
    "GET",
    "/events/<int:event_id>/grants",
    tag=TAG,
    scope="team",
    summary="List who holds a role on an event",
    response=GrantList,
)
def list_grants(event_id):
    event = get_event(event_id)
    return {"items": [_out(row) for row in grants.grants_for_event(org_id(), event.id)]}


@operation(
    "POST",
    "/events/<int:event_id>/grants",
    tag=TAG,
    scope="team",
    summary="Give a member a role on an event (replacing the one they hold on it)",
    body=GrantCreate,
    response=GrantOut,
    status=201,
)
def create_grant(event_id, body):
    """422 when the user is not a member of the organization."""
    event = get_event(event_id)
    return _out(_give(event.id, body["user_id"], body["role"]))


@operation(
    "PATCH",
    "/events/<int:event_id>/grants/<int:grant_id>",
    tag=TAG,
    scope="team",
    summary="Change a member's role on an event",
    body=GrantChange,
    response=GrantOut,
)
def change_grant(event_id, grant_id, body):
    event = get_event(event_id)
    current = _grant(event.id, grant_id)
    return _out(_give(event.id, current.user.id, body["role"]))


@operation(
    "DELETE",
    "/events/<int:event_id>/grants/<int:grant_id>",
    tag=TAG,
    scope="team",
    summary="Take a member's role on an event back",
    response=Out("EventGrantDeleted", {"id": Int(), "deleted": Bool()}),
)
def delete_grant(event_id, grant_id):
    event = get_event(event_id)
    _grant(event.id, grant_id)
    grants.revoke(org_id(), event.id, grant_id, actor=None, actor_label=actor_label())
    return {"id": grant_id, "deleted": True}


@operation(
    "GET",
    "/members/<int:user_id>/grants",
    tag=TAG,
    scope="team",
    summary="List a member's roles on the organization's events",
    response=GrantList,
)
def member_grants(user_id):
    try:
        user = grants.member(org_id(), user_id)
    except AccountError:
        raise not_found("No such member of the organization.") from None
    return {"items": [_out(row) for row in grants.grants_of_member(org_id(), user.id)]}
