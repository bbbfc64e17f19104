"""Members: invitations by email, roles, removal; isolation between organizations."""

from __future__ import annotations

import re

import pytest

from tests.conftest import Auth
from tests.factories.accounts import PASSWORD, make_member, make_org, make_user
from webapp.accounts.audit import AuditEntry
from webapp.accounts.models import MemberInvitation, Membership


def _invite_link(inbox) -> str:
    body = inbox.wait_for(1)[-1].get_body(("plain",)).get_content()
    return re.search(r"http://rollcall\.test(/invitation/\S+)", body).group(1)


def test_invited_person_creates_an_account_and_joins_with_the_role(mail_app):
    app, inbox = mail_app
    auth = Auth(app)
    owner = make_user(email="owner@example.org")
    org = make_org("Ana Events", owner=owner)
    client = auth.client_for(owner)
    response = client.post("/console/members/invite", data={"email": "Door@Example.org", "role": "door"})
    assert response.status_code == 303
    message = inbox.wait_for(1)[-1]
    assert message["To"] == "door@example.org" and "Ana Events" in message["Subject"]
    link = _invite_link(inbox)

    newcomer = app.test_client()
    page = newcomer.get(link)
    assert b"Join Ana Events" in page.data
    response = newcomer.post(link, data={"name": "Dina", "password": "door password 1", "confirm": "door password 1"})
    assert response.status_code == 302
    membership = Membership.get(Membership.organization == org, Membership.role == "door")
    assert membership.user.email == "door@example.org"
    assert newcomer.get(link).status_code == 410  # used up
    assert AuditEntry.select().where(AuditEntry.action == "member.invite").count() == 1


def test_existing_user_accepts_invitation_after_signing_in(mail_app):
    app, inbox = mail_app
    auth = Auth(app)
    org = make_org("Second Org")
    admin = make_member(org, role="admin")
    existing = make_user(email="known@example.org")
    make_org("First Org", owner=existing)
    auth.client_for(admin).post("/console/members/invite", data={"email": "known@example.org", "role": "manager"})
    link = _invite_link(inbox)
    client = auth.client_for(existing)
    assert b"Accept and join" in client.get(link).data
    client.post(link, data={"accept": "1"})
    assert Membership.get(Membership.user == existing, Membership.organization == org).role == "manager"
    # Now in two organizations: the switcher shows both.
    page = client.get("/console/").get_data(as_text=True)
    assert "First Org" in page and "Second Org" in page


def test_admin_cannot_make_owners_and_last_owner_stays(app, auth):
    owner = make_user()
    org = make_org(owner=owner)
    admin = make_member(org, role="admin")
    client = auth.client_for(admin)
    response = client.post("/console/members/invite", data={"email": "x@example.org", "role": "owner"})
    assert response.status_code == 422 and b"Only an owner can make someone an owner" in response.data
    owner_membership = Membership.get(Membership.user == owner)
    client.post(f"/console/members/{owner_membership.id}/remove")
    assert Membership.get_or_none(Membership.id == owner_membership.id) is not None
    owner_client = auth.client_for(owner)
    owner_client.post(f"/console/members/{owner_membership.id}/role", data={"role": "admin"})
    assert Membership.get_by_id(owner_membership.id).role == "owner"


def test_role_change_is_audited(app, auth):
    owner = make_user()
    org = make_org(owner=owner)
    member = make_member(org, role="door")
    membership = Membership.get(Membership.user == member)
    auth.client_for(owner).post(f"/console/members/{membership.id}/role", data={"role": "manager"})
    assert Membership.get_by_id(membership.id).role == "manager"
    entry = AuditEntry.get(AuditEntry.action == "member.role")
    assert entry.changes == {"role": ["door", "manager"]} and entry.user_id == owner.id


@pytest.mark.parametrize("role, status", [("door", 403), ("manager", 403), ("admin", 200), ("owner", 200)])
def test_members_page_needs_admin(app, auth, role, status):
    org = make_org()
    user = make_member(org, role=role)
    assert auth.client_for(user).get("/console/members").status_code == status


def test_other_organizations_members_and_invitations_answer_404(app, auth):
    org_a, org_b = make_org("A"), make_org("B")
    admin_a = make_member(org_a, role="admin")
    member_b = make_member(org_b, role="door")
    membership_b = Membership.get(Membership.user == member_b)
    invitation_b = MemberInvitation.create(
        organization=org_b,
        email="z@example.org",
        role="door",
        token_hash="h" * 64,
        expires_at=membership_b.created_at.replace(year=2100),
    )
    client = auth.client_for(admin_a)
    assert client.post(f"/console/members/{membership_b.id}/remove").status_code == 404
    assert client.post(f"/console/members/{membership_b.id}/role", data={"role": "owner"}).status_code == 404
    assert client.post(f"/console/invitations/{invitation_b.id}/revoke").status_code == 404
    assert Membership.get_by_id(membership_b.id).role == "door"


def test_switching_to_an_organization_you_are_not_in_is_404(app, auth):
    mine, theirs = make_org("Mine"), make_org("Theirs")
    user = make_member(mine, role="manager")
    client = auth.client_for(user)
    assert client.post("/switch-org", data={"org_id": theirs.id}).status_code == 404


def test_password_is_stored_hashed_with_scrypt(app):
    user = make_user(password=PASSWORD)
    assert PASSWORD not in user.password_hash and user.password_hash.startswith("scrypt:")


def test_each_request_sees_the_organizations_and_role_the_user_has_now(app, auth):
    zeta, alpha = make_org("Zeta Tours"), make_org("Alpha Events")
    user = make_member(zeta, role="manager")
    Membership.create(user=user, organization=alpha, role="door")
    client = auth.client_for(user, org=zeta)
    page = client.get("/console/").get_data(as_text=True)
    switcher = page[page.index('id="org-switch"') :]
    assert switcher.index("Alpha Events") < switcher.index("Zeta Tours")  # by name
    assert "· manager" in page  # working in the one chosen

    Membership.update(role="admin").where(Membership.user == user, Membership.organization == zeta).execute()
    assert "· admin" in client.get("/console/").get_data(as_text=True)

    Membership.delete().where(Membership.user == user).execute()
    response = client.get("/console/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/no-organization")
    assert client.get("/no-organization").status_code == 200  # still signed in, with no organization


def test_lowering_ones_own_role_needs_confirming_and_never_leaves_no_owner(app, auth):
    owner = make_user()
    org = make_org(owner=owner)
    mine = Membership.get(Membership.user == owner)
    client = auth.client_for(owner)
    page = client.get("/console/members").get_data(as_text=True)
    # One's own role is not a select that saves on change.
    assert f'id="role-{mine.id}" name="role" data-autosubmit' not in page and "Change my role" in page

    response = client.post(f"/console/members/{mine.id}/role", data={"role": "admin"}, follow_redirects=True)
    assert "Confirm that you want to lower your own role" in response.get_data(as_text=True)
    assert Membership.get_by_id(mine.id).role == "owner"

    # Confirmed, but the last owner: refused all the same.
    response = client.post(
        f"/console/members/{mine.id}/role", data={"role": "admin", "confirm_own": "yes"}, follow_redirects=True
    )
    assert "An organization needs at least one owner." in response.get_data(as_text=True)
    assert Membership.get_by_id(mine.id).role == "owner"

    second = make_member(org, role="owner")
    client.post(f"/console/members/{mine.id}/role", data={"role": "admin", "confirm_own": "yes"})
    assert Membership.get_by_id(mine.id).role == "admin"
    # The other owner cannot step down now: they are the last one.
    theirs = Membership.get(Membership.user == second)
    auth.client_for(second).post(f"/console/members/{theirs.id}/role", data={"role": "door", "confirm_own": "yes"})
    assert Membership.get_by_id(theirs.id).role == "owner"
    assert Membership.select().where((Membership.organization == org) & (Membership.role == "owner")).count() == 1
