"""Who is asking: the signed-in user, their current organization and role, their per-event grants;
every role and grant check of the console and the session API is here. Each decorator marks the
view with the rule it applies (`view.access`), which tests/accounts/test_event_grants.py walks."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import peewee as pw
from flask import abort, g, redirect, session, url_for
from flask_login import current_user

from webapp.accounts.models import GRANT_ROLES, ROLE_RANK, EventGrant, Membership, Organization, User
from webapp.db import Prepared, Slot
from webapp.extensions import login_manager
from webapp.work.models import Job

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

    # `pages|selectattr("capability", "can_reach", event.id)`: the pages of an event the member may open.
    # "org:<role>" names a page that takes an organization role whatever the grants.
    app.jinja_env.tests["can_reach"] = lambda capability, event_id: (
        has_role(capability[4:]) if capability.startswith("org:") else can_event(event_id, capability)
    )

    @app.context_processor
    def _roles():
        return {
            "has_role": has_role,
            "can_event": can_event,
            "can_list_events": can_list_events,
            "granted_role": granted_role,
            "can_scan_any": lambda: granted_event_ids("door") != [],
        }


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

        wrapper.access = ("org", role)
        return wrapper

    return decorator


def org_id() -> int:
    """The current organization's id (only valid inside a role_required view)."""
    return g.org.id


# What a member may do on one event. `manage`: everything about the event (set-up, emails,
# products, grants); `registrants`: the registrant list and its actions, orders, check-in set-up
# and logs; `participants`: read the event and its participants; `door`: the scanner.
CAPABILITIES = ("manage", "registrants", "participants", "door")

# The least organization role that gives a capability on every event of the organization.
ORG_ROLE_FOR = {"manage": "manager", "registrants": "manager", "participants": "manager", "door": "door"}

# What each per-event grant gives on its event (and nothing anywhere else).
GRANT_CAPABILITIES = {
    "manager": frozenset(CAPABILITIES),
    "staff": frozenset(("registrants", "participants", "door")),
    "door": frozenset(("door",)),
    "guide": frozenset(("participants",)),
}
assert set(GRANT_CAPABILITIES) == set(GRANT_ROLES)


def event_grants() -> dict[int, str]:
    """{event id: grant role} of the signed-in member in the current organization (read once per
    request)."""
    if g.get("membership") is None:
        return {}
    cached = g.get("_event_grants")
    if cached is None:
        rows = EventGrant.select(EventGrant.event_id, EventGrant.role).where(
            (EventGrant.organization == g.org.id) & (EventGrant.user == g.membership.user_id)
        )
        cached = g._event_grants = {row.event_id: row.role for row in rows}
    return cached


def granted_role(event_id: int) -> str | None:
    return event_grants().get(event_id)


def can_event(event_id: int, capability: str) -> bool:
    """May the signed-in member do `capability` on this event of the current organization? The
    organization role answers for every event; a grant only for its own. (Whether the event
    belongs to the organization is for the view's event_or_404: it answers 404 otherwise.)"""
    if capability not in CAPABILITIES:
        raise ValueError(capability)
    if has_role(ORG_ROLE_FOR[capability]):
        return True
    role = granted_role(event_id)
    return role is not None and capability in GRANT_CAPABILITIES[role]


def granted_event_ids(capability: str) -> list[int] | None:
    """The events the member may reach with `capability`: None when the organization role gives
    every event, else the ids their grants give."""
    if has_role(ORG_ROLE_FOR[capability]):
        return None
    return sorted(eid for eid, role in event_grants().items() if capability in GRANT_CAPABILITIES[role])


def can_list_events() -> bool:
    """The events menu: members who may list or read events (by their role, or by a grant that
    reads its event: manager, staff, guide). A door grant gives the scanner, not the events list."""
    return granted_event_ids("participants") != []


def member_or_login():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if g.membership is None:
        return redirect(url_for("accounts.no_organization"))
    return None


def event_required(capability: str):
    """The view (with an `event_id` argument) needs `capability` on that event: by the member's
    organization role or by their grant on it. Anything else answers 403."""
    if capability not in CAPABILITIES:
        raise ValueError(capability)

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            refused = member_or_login()
            if refused is not None:
                return refused
            if not can_event(kwargs["event_id"], capability):
                abort(403)
            return view(*args, **kwargs)

        wrapper.access = ("event", capability)
        return wrapper

    return decorator


def _reaching(allowed, name: str):
    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            refused = member_or_login()
            if refused is not None:
                return refused
            if not allowed():
                abort(403)
            return view(*args, **kwargs)

        wrapper.access = ("reach", name)
        return wrapper

    return decorator


# The events list: members who may list events, or read some by their grants.
events_reader_required = _reaching(can_list_events, "events")


def any_event_required(capability: str):
    """A page listing events for `capability` (the door's event picker): the organization role
    gives it, or a grant with it on at least one event (the page then lists only those)."""
    return _reaching(lambda: granted_event_ids(capability) != [], capability)


def session_may(role: str, event_id: int | None) -> bool:
    """A signed-in member calling the session API: their organization role, or (for a call about
    one event) their grant on it. The session API's roles are door-level: a door capability answers."""
    if has_role(role):
        return True
    return event_id is not None and role == "door" and can_event(event_id, "door")


# -- Rows addressed by their own id ---------------------------------------------------------------
# An order, an invitation, a job, a mail log entry... reached by its own id (/console/orders/<id>)
# belongs to an event (or to the organization alone). Its page is allowed by the capability on
# that event, as the event's own pages are: one rule for every such page (row_required).


@dataclass(frozen=True)
class Owner:
    """Whose a row is: its organization, its event (None: the organization's alone) and, for a
    row that is someone's own (a job), the member who started it (None: the system did)."""

    organization_id: int
    event_id: int | None
    personal: bool = False
    started_by: int | None = None


def owned(model, *, organization=None, event=None, started_by=None, join=None) -> Callable[[int], Owner | None]:
    """The owner lookup of `model` by id: its `organization` and `event` columns (or the columns
    given; `join` reaches them through another model), read in one small query."""
    columns = [(organization or model.organization).alias("owner_org"), (event or model.event).alias("owner_event")]
    if started_by is not None:
        columns.append(started_by.alias("owner_user"))

    def lookup(pk: int) -> Owner | None:
        query = model.select(*columns)
        if join is not None:
            query = query.join(join)
        row = query.where(model.id == pk).dicts().first()
        if row is None:
            return None
        return Owner(row["owner_org"], row["owner_event"], started_by is not None, row.get("owner_user"))

    return lookup


# Jobs (imports, exports, PDFs, bulk actions): the member who started one sees it; an event's
# managers see every job of the event.
job_owner = owned(Job, organization=Job.organization_id, event=Job.event_id, started_by=Job.user_id)


def may_reach(owner: Owner, capability: str) -> bool:
    """May the signed-in member open a row of the current organization owned by `owner` for
    `capability`? A row of no event takes the organization role; a row of an event, the
    capability on it; a job started by someone else, the event's `manage` capability too."""
    if owner.event_id is None:
        return has_role(ORG_ROLE_FOR[capability])
    if not can_event(owner.event_id, capability):
        return False
    if not owner.personal or owner.started_by == current_user.id:
        return True
    return can_event(owner.event_id, "manage")


def row_required(param: str, capability: str, owner: Callable[[int], Owner | None]):
    """The view (with an id argument `param`) needs `capability` on the event that owns the row:
    another organization's row (or none) answers 404, a row of this organization the member may
    not reach 403."""
    if capability not in CAPABILITIES:
        raise ValueError(capability)

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            refused = member_or_login()
            if refused is not None:
                return refused
            found = owner(kwargs[param])
            if found is None or found.organization_id != g.org.id:
                abort(404)
            if not may_reach(found, capability):
                abort(403)
            return view(*args, **kwargs)

        wrapper.access = ("row", param, capability)
        return wrapper

    return decorator
