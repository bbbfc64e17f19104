"""Per-event grants: a member's role on one event (manager, staff, door, guide), granted and
revoked by those who manage the event, each change in the audit trail. What a grant allows is
decided in webapp.accounts.access."""

from __future__ import annotations

from webapp.accounts import audit
from webapp.accounts.models import GRANT_ROLES, EventGrant, Membership, User
from webapp.accounts.service import AccountError
from webapp.db import db
from webapp.i18n import _, stored_text


def grants_for_event(org_id: int, event_id: int) -> list[EventGrant]:
    return list(
        EventGrant.select(EventGrant, User)
        .join(User, on=(EventGrant.user == User.id))
        .where((EventGrant.organization == org_id) & (EventGrant.event_id == event_id))
        .order_by(User.name, User.email)
    )


def members(org_id: int) -> list[User]:
    """The organization's members, by name (whom an event can be granted to)."""
    return list(
        User.select()
        .join(Membership, on=(Membership.user == User.id))
        .where((Membership.organization == org_id) & (User.is_active == True))  # noqa: E712
        .order_by(User.name, User.email)
    )


def _member(org_id: int, user_id: int) -> User:
    user = (
        User.select()
        .join(Membership, on=(Membership.user == User.id))
        .where((Membership.organization == org_id) & (User.id == user_id))
        .first()
    )
    if user is None:
        raise AccountError(_("Choose a member of the organization."), "user")
    return user


def grants_of_member(org_id: int, user_id: int) -> list[EventGrant]:
    """A member's grants in the organization, by event (another organization's member: none)."""
    return list(
        EventGrant.select(EventGrant, User)
        .join(User, on=(EventGrant.user == User.id))
        .where((EventGrant.organization == org_id) & (EventGrant.user == user_id))
        .order_by(EventGrant.event_id)
    )


def member(org_id: int, user_id: int) -> User:
    """A member of the organization, or AccountError (field `user`)."""
    return _member(org_id, user_id)


def grant(
    org_id: int, event_id: int, user_id: int, role: str, *, actor: User | None, actor_label: str | None = None
) -> EventGrant:
    """Give a member a role on the event (replacing the one they had on it). `actor` is the member
    who gives it; an API key gives it with no member and its `actor_label` in the audit trail."""
    if role not in GRANT_ROLES:
        raise AccountError(_("Choose a role."), "role")
    user = _member(org_id, user_id)
    with db.atomic():
        current = EventGrant.get_or_none((EventGrant.event_id == event_id) & (EventGrant.user == user.id))
        if current is not None and current.role == role:
            return current
        if current is None:
            current = EventGrant.create(
                organization=org_id, event_id=event_id, user=user.id, role=role, granted_by=actor.id if actor else None
            )
            changes = {"role": [None, role]}
        else:
            changes = {"role": [current.role, role]}
            current.role, current.granted_by = role, actor.id if actor else None
            current.save()
        audit.record(
            org_id,
            "event.grant",
            user=actor,
            actor=actor_label,
            target=current,
            summary=stored_text(
                "%(email)s: %(role)s of event %(event_id)s",
                email=user.email,
                role=audit.role_word(role),
                event_id=event_id,
            ),
            changes={"event_id": [None, event_id], **changes},
        )
    return current


def revoke(org_id: int, event_id: int, grant_id: int, *, actor: User | None, actor_label: str | None = None) -> None:
    """Take a grant back (a grant of another event or organization is not found)."""
    with db.atomic():
        current = EventGrant.get(
            (EventGrant.id == grant_id) & (EventGrant.organization == org_id) & (EventGrant.event_id == event_id)
        )
        user = User.get_by_id(current.user_id)
        current.delete_instance()
        audit.record(
            org_id,
            "event.revoke",
            user=actor,
            actor=actor_label,
            target=current,
            summary=stored_text(
                "%(email)s: no longer %(role)s of event %(event_id)s",
                email=user.email,
                role=audit.role_word(current.role),
                event_id=event_id,
            ),
            changes={"role": [current.role, None]},
        )
