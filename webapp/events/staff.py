"""The people behind an event: its creator and the members responsible for it ("my events")."""

from __future__ import annotations

from collections import defaultdict

from webapp.accounts import audit
from webapp.accounts.models import Membership, User
from webapp.db import db
from webapp.events.models import Event, EventResponsible
from webapp.events.service import FieldError
from webapp.i18n import _, stored_text


def _still_member():
    """Join condition: the responsible user is still a member of the event's organization (a
    member who left is no longer shown as responsible)."""
    return (Membership.user == EventResponsible.user) & (Membership.organization == EventResponsible.organization)


def creators(events: list[Event]) -> dict[int, User]:
    """{user id: user} of the events' creators, in one query."""
    ids = {e.created_by_id for e in events if e.created_by_id}
    return {u.id: u for u in User.select().where(User.id.in_(ids))} if ids else {}


def responsible_users(event: Event) -> list[User]:
    return list(
        User.select()
        .join(EventResponsible, on=(EventResponsible.user == User.id))
        .join(Membership, on=_still_member())
        .where(EventResponsible.event == event.id)
        .order_by(User.name, User.email)
    )


def responsibles_by_event(event_ids: list[int]) -> dict[int, list[User]]:
    """{event id: its responsible users}, for a list of events in one query."""
    out: dict[int, list[User]] = defaultdict(list)
    if not event_ids:
        return out
    rows = (
        EventResponsible.select(EventResponsible.event, User)
        .join(User, on=(EventResponsible.user == User.id))
        .join(Membership, on=_still_member())
        .where(EventResponsible.event.in_(event_ids))
        .order_by(User.name, User.email)
    )
    for row in rows:
        out[row.event_id].append(row.user)
    return out


def mine(query, user_id: int):
    """Narrow an event query to the events the user created or is responsible for."""
    responsible = EventResponsible.select(EventResponsible.event).where(EventResponsible.user == user_id)
    return query.where((Event.created_by == user_id) | (Event.id.in_(responsible)))


def set_responsible(event: Event, user_ids: list[int], *, actor: User) -> dict:
    """Make exactly these members of the organization responsible for the event; returns the
    audit changes ({} when nothing changed)."""
    wanted = set(user_ids)
    members = {
        m.user_id
        for m in Membership.select(Membership.user).where(
            (Membership.organization == event.organization_id) & (Membership.user.in_(wanted or [0]))
        )
    }
    if wanted - members:
        raise FieldError("responsible", _("Choose members of the organization."))
    with db.atomic():
        current = {
            r.user_id for r in EventResponsible.select(EventResponsible.user).where(EventResponsible.event == event.id)
        }
        if current == wanted:
            return {}
        removed, added = current - wanted, wanted - current
        if removed:
            EventResponsible.delete().where(
                (EventResponsible.event == event.id) & (EventResponsible.user.in_(removed))
            ).execute()
        for user_id in sorted(added):
            EventResponsible.insert(
                organization=event.organization_id, event=event.id, user=user_id
            ).on_conflict_ignore().execute()
        emails = dict(User.select(User.id, User.email).where(User.id.in_(current | wanted)).tuples())
        changes = {"responsible": [sorted(emails[i] for i in current), sorted(emails[i] for i in wanted)]}
        audit.record(
            event.organization_id,
            "event.responsible",
            user=actor,
            target=event,
            summary=stored_text(
                "Responsible for %(event)s: %(people)s",
                event=event.name,
                people=", ".join(changes["responsible"][1]) or stored_text("no one"),
            ),
            changes=changes,
        )
    return changes
