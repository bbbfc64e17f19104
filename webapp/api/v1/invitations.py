"""Invitations of an event: list (by state and participant group), invite a contact or an email
into a group, send again, cancel. The same service as the console's Invitations page; each write
is in the audit trail with the key named, and a POST with an Idempotency-Key runs once."""

from __future__ import annotations

from flask import g

from webapp.api.framework import invalid, operation
from webapp.api.schema import Array, Bool, DateTime, Email, Int, Line, Obj, Out, Str
from webapp.api.v1.common import actor_label, state_conflict
from webapp.api.v1.events import get_event
from webapp.catalog.models import ParticipantGroup
from webapp.contacts.models import Contact
from webapp.orders import invitations
from webapp.orders.models import Invitation

TAG = "Invitations"
ID = Int(minimum=1, maximum=2**31 - 1)

InvitationOut = Out(
    "Invitation",
    {
        "id": Int(),
        "event_id": Int(source=lambda i: i.event_id),
        "code": Str(description="Typed on the event page, or carried in the personal link."),
        "email": Str(description="Empty for a shared code."),
        "name": Str(),
        "group_id": Int(null=True, source=lambda i: i.group_id, description="null: the event's default group."),
        "product_ids": Array(Int(), description="Hidden products the invitation unlocks."),
        "max_uses": Int(),
        "times_used": Int(),
        "state": Str(
            enum=invitations.STATUSES,
            source=invitations.status,
            description="invited (open), declined (by the invitee), used (registered) or revoked.",
        ),
        "sent_at": DateTime(null=True),
        "declined_at": DateTime(null=True),
        "revoked_at": DateTime(null=True),
        "created_at": DateTime(),
    },
)
InvitationCreate = Obj(
    "InvitationCreate",
    {
        "contact_id": ID,
        "email": Email(),
        "name": Line(max_length=200),
        "group_id": ID,
        "product_ids": Array(ID, max_items=200),
        "send": Bool(default=True, description="False: create it without emailing it yet."),
    },
    description="A personal invitation for a contact of the organization (`contact_id`) or an email address.",
)


def _invitation(event, invitation_id: int) -> Invitation:
    return Invitation.get(
        (Invitation.id == invitation_id) & (Invitation.event == event.id) & (Invitation.organization == g.api_org_id)
    )


@operation(
    "GET",
    "/events/<int:event_id>/invitations",
    tag=TAG,
    scope="registrants",
    summary="List an event's invitations",
    page=InvitationOut,
    query={
        "state": Str(enum=invitations.STATUSES),
        "group_id": ID,
        "email": Email(),
    },
)
def list_invitations(event_id, query):
    """Open personal invitations are the participants in state `invited` or `declined` that the
    registrant list and the groups' counts show."""
    event = get_event(event_id)
    select = Invitation.select().where((Invitation.organization == g.api_org_id) & (Invitation.event == event.id))
    if "state" in query:
        select = select.where(invitations.status_condition(query["state"]))
    if "group_id" in query:
        group = _group(event, query["group_id"])
        own = Invitation.group == group.id
        select = select.where(own | Invitation.group.is_null() if group.is_default else own)
    if "email" in query:
        select = select.where(Invitation.email == query["email"].lower())
    return select


def _group(event, group_id: int) -> ParticipantGroup:
    group = ParticipantGroup.get_or_none((ParticipantGroup.id == group_id) & (ParticipantGroup.event == event.id))
    if group is None:
        raise invalid("Unknown group.", group_id="Not a participant group of this event.")
    return group


@operation(
    "POST",
    "/events/<int:event_id>/invitations",
    tag=TAG,
    scope="registrants",
    summary="Invite a contact or an email address",
    body=InvitationCreate,
    response=InvitationOut,
    status=201,
)
def create_invitation(event_id, body):
    """Send `contact_id` or `email` (not both). 422 naming the field when the contact, group or a
    product is not the event's."""
    event = get_event(event_id)
    if ("contact_id" in body) == ("email" in body):
        raise invalid("Send contact_id or email.", contact_id="Send contact_id or email, not both.")
    email, name = body.get("email", ""), body.get("name", "")
    if "contact_id" in body:
        contact = Contact.get_or_none((Contact.id == body["contact_id"]) & (Contact.organization == g.api_org_id))
        if contact is None:
            raise invalid("Unknown contact.", contact_id="Not a contact of this organization.")
        email, name = contact.email, name or contact.name
    if "group_id" in body:
        _group(event, body["group_id"])
    try:
        invitation = invitations.create(
            event, email=email, name=name, product_ids=body.get("product_ids") or [],
            send=body.get("send", True), actor=None, actor_label=actor_label(),
            group_id=body.get("group_id"),
        )  # fmt: skip
    except invitations.InvitationError as exc:
        field = "product_ids" if "product" in str(exc) else "email"
        raise invalid(str(exc), **{field: str(exc)}) from None
    return Invitation.get_by_id(invitation.id)


@operation(
    "GET",
    "/events/<int:event_id>/invitations/<int:invitation_id>",
    tag=TAG,
    scope="registrants",
    summary="Get an invitation",
    response=InvitationOut,
)
def read_invitation(event_id, invitation_id):
    return _invitation(get_event(event_id), invitation_id)


@operation(
    "POST",
    "/events/<int:event_id>/invitations/<int:invitation_id>/resend",
    tag=TAG,
    scope="registrants",
    summary="Email an invitation again",
    response=InvitationOut,
)
def resend_invitation(event_id, invitation_id):
    """409 for a revoked or used invitation, or a shared code (no address to send to)."""
    invitation = _invitation(get_event(event_id), invitation_id)
    try:
        invitations.resend(invitation, actor=None, actor_label=actor_label())
    except invitations.InvitationError as exc:
        raise state_conflict(exc) from None
    return Invitation.get_by_id(invitation.id)


@operation(
    "POST",
    "/events/<int:event_id>/invitations/<int:invitation_id>/cancel",
    tag=TAG,
    scope="registrants",
    summary="Cancel an invitation",
    response=InvitationOut,
)
def cancel_invitation(event_id, invitation_id):
    """Its link and code stop working (a registration made with it stays). 409 when already
    canceled."""
    invitation = _invitation(get_event(event_id), invitation_id)
    try:
        invitations.revoke(invitation, actor=None, actor_label=actor_label())
    except invitations.InvitationError as exc:
        raise state_conflict(exc) from None
    return Invitation.get_by_id(invitation.id)
