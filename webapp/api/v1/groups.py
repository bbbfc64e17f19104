"""Participant groups of an event: set-up (the same service as the console's groups page), counts
by participant state, and moving registrants between groups."""

from __future__ import annotations

from flask import url_for

from webapp.api.framework import invalid, operation
from webapp.api.schema import Array, Bool, Int, Line, Map, Obj, Out, Str
from webapp.api.v1.common import actor_label, field_error
from webapp.api.v1.events import get_event
from webapp.catalog import groups as catalog_groups
from webapp.catalog.models import BADGE_LAYOUTS, GROUP_REGISTRATION, ParticipantGroup
from webapp.orders import groups, states

TAG = "Events"
ID = Int(minimum=1, maximum=2**31 - 1)
COUNT = Int(minimum=0, maximum=catalog_groups.MAX_CAPACITY)


def _registration_url(group: ParticipantGroup) -> str | None:
    if group.registration == "invited":
        return None
    event = group.event
    return url_for(
        "orders.register", org_slug=event.organization.slug, event_slug=event.slug, group=group.key, _external=True
    )


GroupOut = Out(
    "ParticipantGroup",
    {
        "id": Int(),
        "event_id": Int(source=lambda g: g.event_id),
        "name": Str(),
        "is_default": Bool(description="Whoever registers without a group's link or invitation joins it."),
        "capacity": Int(null=True, description="null: only the event's own limits."),
        "registration": Str(enum=GROUP_REGISTRATION),
        "accept_limit": Int(null=True),
        "product_ids": Array(Int(), description="Empty: every product no other group is limited to."),
        "badge_layout": Str(enum=BADGE_LAYOUTS),
        "registration_url": Str(null=True, source=_registration_url, description="null for invited-only groups."),
        "seats_taken": Int(source=lambda g: groups.seats_taken(g)),
        "states": Map(Int(), max_properties=None, source=lambda g: states.counts(g.event, g),
                      description="Participants per state: " + ", ".join(states.STATES) + "."),
    },
)  # fmt: skip
_FIELDS = {
    "name": Line(min_length=1, max_length=100),
    "capacity": COUNT,
    "registration": Str(enum=GROUP_REGISTRATION),
    "accept_limit": COUNT,
    "product_ids": Array(ID, max_items=500),
    "badge_layout": Str(enum=BADGE_LAYOUTS),
}
GroupCreate = Obj("ParticipantGroupCreate", _FIELDS, required=("name",))
GroupUpdate = Obj(
    "ParticipantGroupUpdate",
    {**_FIELDS, "capacity": Int(minimum=0, maximum=catalog_groups.MAX_CAPACITY, null=True)},
    description="Only the fields sent change.",
)
MoveBody = Obj(
    "ParticipantGroupMove",
    {"registrant_ids": Array(ID, min_items=1, max_items=1000)},
    required=("registrant_ids",),
)


def _group(event, group_id: int) -> ParticipantGroup:
    return catalog_groups.group_of_event(event, group_id)


def _data(group: ParticipantGroup | None, body: dict) -> dict:
    current = (
        {
            "name": group.name, "capacity": group.capacity, "registration": group.registration,
            "accept_limit": group.accept_limit, "product_ids": group.product_ids, "badge_layout": group.badge_layout,
        }
        if group is not None
        else {}
    )  # fmt: skip
    data = {**current, **body}
    return {k: ("" if v is None else v) for k, v in data.items()}


@operation(
    "GET",
    "/events/<int:event_id>/groups",
    tag=TAG,
    scope="events",
    summary="List an event's participant groups, with counts by participant state",
    response=Out("ParticipantGroups", {"items": Array(GroupOut)}),
)
def list_groups(event_id):
    return {"items": catalog_groups.groups_of(get_event(event_id))}


@operation(
    "POST",
    "/events/<int:event_id>/groups",
    tag=TAG,
    scope="events",
    summary="Add a participant group",
    body=GroupCreate,
    response=GroupOut,
    status=201,
)
def create_group(event_id, body):
    """422 names the field: a name the event has already, products of another event..."""
    event = get_event(event_id)
    try:
        return catalog_groups.create(event, _data(None, body), actor=None, actor_label=actor_label())
    except catalog_groups.GroupError as exc:
        raise field_error(exc) from None


@operation(
    "GET",
    "/events/<int:event_id>/groups/<int:group_id>",
    tag=TAG,
    scope="events",
    summary="Get a participant group",
    response=GroupOut,
)
def get_group(event_id, group_id):
    return _group(get_event(event_id), group_id)


@operation(
    "PATCH",
    "/events/<int:event_id>/groups/<int:group_id>",
    tag=TAG,
    scope="events",
    summary="Change a participant group",
    body=GroupUpdate,
    response=GroupOut,
)
def update_group(event_id, group_id, body):
    group = _group(get_event(event_id), group_id)
    try:
        catalog_groups.update(group, _data(group, body), actor=None, actor_label=actor_label())
    except catalog_groups.GroupError as exc:
        raise field_error(exc) from None
    return group


@operation(
    "DELETE",
    "/events/<int:event_id>/groups/<int:group_id>",
    tag=TAG,
    scope="events",
    summary="Remove a participant group nobody is in",
    response=Out("ParticipantGroupDeleted", {"id": Int(), "deleted": Bool()}),
)
def delete_group(event_id, group_id):
    """422 for the default group, or a group that still has registrants."""
    group = _group(get_event(event_id), group_id)
    try:
        groups.remove(group, actor=None, actor_label=actor_label())
    except catalog_groups.GroupError as exc:
        raise invalid(str(exc)) from None
    return {"id": group_id, "deleted": True}


@operation(
    "POST",
    "/events/<int:event_id>/groups/<int:group_id>/members",
    tag=TAG,
    scope="registrants",
    summary="Move registrants of the event into this group",
    body=MoveBody,
    response=Out("ParticipantGroupMoved", {"moved": Int()}),
)
def move_members(event_id, group_id, body):
    """422 when an id is not a registrant of the event, or the group has too few seats left for
    the people who hold one; nothing moves then."""
    event = get_event(event_id)
    group = _group(event, group_id)
    try:
        moved = groups.move(event, body["registrant_ids"], group, actor=None, actor_label=actor_label())
    except groups.MoveError as exc:
        raise invalid(str(exc), registrant_ids=str(exc)) from None
    return {"moved": moved}
