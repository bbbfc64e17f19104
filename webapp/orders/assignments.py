"""Contacts assigned to an event (not participants): who assigned them and why, and the one-click
invitation that asks them to register."""

from __future__ import annotations

from dataclasses import dataclass

import peewee as pw

from webapp.accounts import audit
from webapp.accounts.models import User
from webapp.contacts.models import Contact
from webapp.db import db
from webapp.events.models import Event
from webapp.i18n import _, stored_text
from webapp.orders import invitations
from webapp.orders.models import EventAssignment, Invitation, Registrant

NOTE_MAX = 500


class AssignmentError(ValueError):
    def __init__(self, message: str, field: str = "email"):
        super().__init__(message)
        self.field = field


@dataclass
class AssignedRow:
    assignment: EventAssignment
    contact: Contact
    assigned_by: User | None
    invitation: Invitation | None
    registered: bool


def assign(
    event: Event, email: str, note: str, *, actor: User | None, actor_label: str | None = None
) -> EventAssignment:
    """Assign the organization's contact with this address to the event (`actor_label` names an
    actor who is not a user: an API key)."""
    email = (email or "").strip().lower()
    contact = Contact.get_or_none((Contact.organization == event.organization_id) & (Contact.email == email))
    if contact is None:
        raise AssignmentError(_("No contact with this address in the Contact Book."))
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise AssignmentError(_("At most %(num)d characters.", num=NOTE_MAX), "note")
    with db.atomic():
        assignment, created = EventAssignment.get_or_create(
            event=event.id,
            contact=contact.id,
            defaults={
                "organization": event.organization_id,
                "assigned_by": actor.id if actor is not None else None,
                "note": note,
            },
        )
        if not created:
            raise AssignmentError(_("This contact is already assigned to the event."))
        audit.record(
            event.organization_id,
            "event.assign",
            user=actor,
            actor=actor_label,
            target=assignment,
            summary=stored_text("Assigned %(email)s to %(event)s", email=contact.email, event=event.name),
            changes={"note": [None, note]} if note else {},
        )
    return assignment


def unassign(event: Event, assignment_id: int, *, actor: User | None, actor_label: str | None = None) -> None:
    with db.atomic():
        assignment = _of_event(event, assignment_id)
        contact = Contact.get_by_id(assignment.contact_id)
        assignment.delete_instance()
        audit.record(
            event.organization_id, "event.unassign", user=actor, actor=actor_label, target=assignment,
            summary=stored_text("%(email)s no longer assigned to %(event)s", email=contact.email, event=event.name),
        )  # fmt: skip


def invite(event: Event, assignment_id: int, *, actor: User | None) -> Invitation:
    """Send the assigned contact a personal invitation (again, when one was sent and still stands)."""
    with db.atomic():
        assignment = _of_event(event, assignment_id)
        contact = Contact.get_by_id(assignment.contact_id)
        current = (
            Invitation.get_or_none(Invitation.id == assignment.invitation_id) if assignment.invitation_id else None
        )
        if current is not None and current.revoked_at is None:
            invitations.send_invitation(current)
            return current
        invitation = invitations.create(event, email=contact.email, name=contact.name, actor=actor)
        EventAssignment.update(invitation=invitation.id).where(EventAssignment.id == assignment.id).execute()
    return invitation


def _of_event(event: Event, assignment_id: int) -> EventAssignment:
    """The event's assignment (another event's id raises DoesNotExist)."""
    return EventAssignment.get((EventAssignment.id == assignment_id) & (EventAssignment.event == event.id))


def for_event(event: Event) -> list[AssignedRow]:
    Assigner = User.alias()
    rows = (
        EventAssignment.select(EventAssignment, Contact, Assigner, Invitation)
        .join(Contact, on=(EventAssignment.contact == Contact.id))
        .switch(EventAssignment)
        .join(Assigner, pw.JOIN.LEFT_OUTER, on=(EventAssignment.assigned_by == Assigner.id), attr="assigner")
        .switch(EventAssignment)
        .join(Invitation, pw.JOIN.LEFT_OUTER, on=(EventAssignment.invitation == Invitation.id), attr="sent")
        .where(EventAssignment.event == event.id)
        .order_by(Contact.name, Contact.email)
    )
    rows = list(rows)
    registered = {
        r.contact_id
        for r in Registrant.select(Registrant.contact).where(
            (Registrant.event == event.id) & Registrant.contact.in_([a.contact_id for a in rows] or [0])
        )
    }
    return [
        AssignedRow(
            assignment=a,
            contact=a.contact,
            assigned_by=getattr(a, "assigner", None) if a.assigned_by_id else None,
            invitation=getattr(a, "sent", None) if a.invitation_id else None,
            registered=a.contact_id in registered,
        )
        for a in rows
    ]


def for_contact(contact: Contact) -> list[EventAssignment]:
    """The contact's assignments with their events (and who assigned them), soonest event first."""
    Assigner = User.alias()
    return list(
        EventAssignment.select(EventAssignment, Event, Assigner)
        .join(Event, on=(EventAssignment.event == Event.id))
        .switch(EventAssignment)
        .join(Assigner, pw.JOIN.LEFT_OUTER, on=(EventAssignment.assigned_by == Assigner.id), attr="assigner")
        .where((EventAssignment.contact == contact.id) & (EventAssignment.organization == contact.organization_id))
        .order_by(Event.starts_at.desc())
    )
