"""Who is asking: the signed-in user, their current organization and role; role checks for views."""

from __future__ import annotations

import functools

import peewee as pw
from flask import abort, g, redirect, session, url_for
from flask_login import current_user

from webapp.accounts.models import ROLE_RANK, Membership, Organization, User
from webapp.db import Prepared, Slot
from webapp.extensions import login_manager

# Runs for every signed-in request (compiled once: webapp.db.Prepared): the user with each of
# their memberships and its organization, one row per membership (one row with `membership` None
# for a user who belongs to no organization yet).
USER_WITH_MEMBERSHIPS = Prepared(
    lambda: (
        User.select(User, Membership, Organization)
        .join(Membership, pw.JOIN.LEFT_OUTER, on=(Membership.user == User.id), attr="membership")
        .join(Organization, pw.JOIN.LEFT_OUTER, on=(Organization.id == Membership.organization))
        .where((User.id == Slot("id")) & (User.is_active == True))  # noqa: E712
        .order_by(Organization.name, Membership.id)
    )
)


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    pk, _, token = user_id.partition(":")
    if not pk.isdigit() or len(pk) > 18:
        return None
    rows = USER_WITH_MEMBERSHIPS.rows(id=int(pk))
    if not rows or rows[0].session_token != token:
        return None  # unknown, deactivated, or the password changed since: this session is over
    user = rows[0]
    user.loaded_memberships = [row.membership for row in rows if row.membership is not None]
    return user


def init_app(app) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    @app.before_request
    def _load_membership():
        g.org = None
        g.membership = None
        if current_user.is_authenticated:
            memberships = _memberships(current_user._get_current_object())
            g.memberships = memberships
            chosen = next((m for m in memberships if m.organization_id == session.get("org_id")), None)
            chosen = chosen or (memberships[0] if memberships else None)
            if chosen:
                g.membership, g.org = chosen, chosen.organization

    @app.context_processor
    def _roles():
        return {"has_role": has_role}


def _memberships(user: User) -> list[Membership]:
    """The user's memberships with their organizations, by organization name: as the session's
    user loader found them, or (for a user signed in some other way) read now."""
    loaded = getattr(user, "loaded_memberships", None)
    if loaded is not None:
        return loaded
    rows = USER_WITH_MEMBERSHIPS.rows(id=user.id)
    return [row.membership for row in rows if row.membership is not None]


def has_role(role: str) -> bool:
    return g.get("membership") is not None and ROLE_RANK[g.membership.role] >= ROLE_RANK[role]


def role_required(role: str):
    """The view needs a logged-in member of the current organization with at least `role`.
    Door staff who reach the console are sent to check-in instead (403 for non-GET)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if g.membership is None:
                return redirect(url_for("accounts.no_organization"))
            if not has_role(role):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def org_id() -> int:
    """The current organization's id (only valid inside a role_required view)."""
    return g.org.id
