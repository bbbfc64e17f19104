"""Members of an organization: invitations by email, roles, removal."""

from __future__ import annotations

import datetime as dt
import secrets

from flask import render_template

from webapp.accounts import audit, emails
from webapp.accounts.models import ROLE_RANK, ROLES, EventGrant, MemberInvitation, Membership, Organization, User
from webapp.accounts.service import AccountError, hash_token, normalize_email
from webapp.db import db, locked, utcnow
from webapp.i18n import _, stored_text

INVITATION_LIFETIME = dt.timedelta(days=7)


def _check_role(role: str, actor_membership: Membership) -> None:
    if role not in ROLES:
        raise AccountError(_("Choose a role."), "role")
    if role == "owner" and actor_membership.role != "owner":
        raise AccountError(_("Only an owner can make someone an owner."), "role")


def invite(
    org: Organization, email: str, role: str, *, actor: User, actor_membership: Membership, link_for
) -> MemberInvitation:
    """Create an invitation and email its one-time link (`link_for(token)` -> absolute URL)."""
    email = normalize_email(email)
    _check_role(role, actor_membership)
    already = Membership.select().join(User).where((Membership.organization == org.id) & (User.email == email)).exists()
    if already:
        raise AccountError(_("This person is already a member."), "email")
    token = secrets.token_urlsafe(32)
    with db.atomic():
        # A new invitation replaces an open one for the same address.
        MemberInvitation.update(revoked_at=utcnow()).where(
            (MemberInvitation.organization == org.id)
            & (MemberInvitation.email == email)
            & MemberInvitation.accepted_at.is_null()
            & MemberInvitation.revoked_at.is_null()
        ).execute()
        invitation = MemberInvitation.create(
            organization=org,
            email=email,
            role=role,
            token_hash=hash_token(token),
            invited_by=actor,
            expires_at=utcnow() + INVITATION_LIFETIME,
        )
        context = {
            "org": org,
            "inviter": actor,
            "role": role,
            "link": link_for(token),
            "days": INVITATION_LIFETIME.days,
        }
        emails.send(
            kind="invite",
            organization_id=org.id,
            to_email=email,
            subject=f"{actor.name} invited you to {org.name} on Rollcall",
            text_body=render_template("email/accounts/invite.txt", **context),
            html_body=render_template("email/accounts/invite.html", **context),
        )
        audit.record(
            org.id,
            "member.invite",
            user=actor,
            target=invitation,
            summary=stored_text("invited %(email)s as %(role)s", email=email, role=audit.role_word(role)),
        )
    return invitation


def open_invitation(token: str) -> MemberInvitation | None:
    invitation = MemberInvitation.get_or_none(MemberInvitation.token_hash == hash_token(token))
    if (
        invitation is None
        or invitation.accepted_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at < utcnow()
    ):
        return None
    return invitation


def accept(invitation: MemberInvitation, user: User) -> Membership:
    """The signed-in `user` joins; the invitation is used up."""
    with db.atomic():
        claimed = (
            MemberInvitation.update(accepted_at=utcnow())
            .where((MemberInvitation.id == invitation.id) & MemberInvitation.accepted_at.is_null())
            .execute()
        )
        if not claimed:
            raise AccountError(_("This invitation was already used."))
        membership = Membership.get_or_none(
            (Membership.user == user.id) & (Membership.organization == invitation.organization_id)
        )
        if membership is None:
            membership = Membership.create(user=user, organization=invitation.organization_id, role=invitation.role)
        audit.record(
            invitation.organization_id,
            "member.join",
            user=user,
            target=membership,
            summary=stored_text(
                "%(email)s joined as %(role)s", email=user.email, role=audit.role_word(membership.role)
            ),
        )
    return membership


def members(org_id: int) -> list[Membership]:
    return list(
        Membership.select(Membership, User).join(User).where(Membership.organization == org_id).order_by(User.name)
    )


def pending_invitations(org_id: int) -> list[MemberInvitation]:
    return list(
        MemberInvitation.for_org(org_id)
        .where(
            MemberInvitation.accepted_at.is_null()
            & MemberInvitation.revoked_at.is_null()
            & (MemberInvitation.expires_at > utcnow())
        )
        .order_by(MemberInvitation.created_at.desc())
    )


def _leaves_no_owner(membership: Membership) -> bool:
    """Whether the organization would have no owner without this membership's owner role. Takes
    the organization's lock first, so two owners stepping down at the same moment cannot both
    count the other one as staying."""
    org_id = membership.organization_id
    locked(Organization.select(Organization.id).where(Organization.id == org_id)).get()
    if not Membership.select().where((Membership.id == membership.id) & (Membership.role == "owner")).exists():
        return False
    return not (
        Membership.select()
        .where((Membership.organization == org_id) & (Membership.role == "owner") & (Membership.id != membership.id))
        .exists()
    )


def change_role(
    membership: Membership, role: str, *, actor: User, actor_membership: Membership, confirmed: bool = False
) -> None:
    """Give a member another role. Lowering one's own role takes `confirmed` (the page asks first);
    an organization never loses its last owner."""
    _check_role(role, actor_membership)
    if membership.role == "owner" and actor_membership.role != "owner":
        raise AccountError(_("Only an owner can change an owner's role."), "role")
    if membership.user_id == actor.id and ROLE_RANK[role] < ROLE_RANK[membership.role] and not confirmed:
        raise AccountError(_("Confirm that you want to lower your own role: you lose its rights at once."), "role")
    with db.atomic():
        if role != "owner" and _leaves_no_owner(membership):
            raise AccountError(_("An organization needs at least one owner."), "role")
        membership = Membership.get_by_id(membership.id)  # as it is now, under the lock
        changes = audit.diff(membership, {"role": role})
        membership.save()
        audit.record(
            membership.organization_id,
            "member.role",
            user=actor,
            target=membership,
            summary=stored_text("%(email)s: %(role)s", email=membership.user.email, role=audit.role_word(role)),
            changes=changes,
        )


def remove(membership: Membership, *, actor: User, actor_membership: Membership) -> None:
    if membership.role == "owner" and actor_membership.role != "owner":
        raise AccountError(_("Only an owner can remove an owner."))
    with db.atomic():
        if _leaves_no_owner(membership):
            raise AccountError(_("An organization needs at least one owner."))
        audit.record(
            membership.organization_id,
            "member.remove",
            user=actor,
            target=membership,
            summary=stored_text("removed %(email)s", email=membership.user.email),
        )
        membership.delete_instance()
        # Their grants on the organization's events go with them (a later return starts afresh).
        EventGrant.delete().where(
            (EventGrant.organization == membership.organization_id) & (EventGrant.user == membership.user_id)
        ).execute()


def revoke_invitation(invitation: MemberInvitation, *, actor: User) -> None:
    with db.atomic():
        invitation.revoked_at = utcnow()
        invitation.save()
        audit.record(
            invitation.organization_id,
            "member.invite_revoke",
            user=actor,
            target=invitation,
            summary=stored_text("revoked the invitation of %(email)s", email=invitation.email),
        )
