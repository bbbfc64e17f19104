"""Prepared queries: compiled once, run with fresh values, rows as model instances."""

from __future__ import annotations

import datetime as dt

import pytest

from webapp.accounts.models import Membership, Organization, User
from webapp.db import Prepared, Slot, utcnow

MEMBER = Prepared(
    lambda: (
        Membership.select(Membership, Organization)
        .join(Organization)
        .where((Membership.user == Slot("user")) & (Organization.slug == Slot("slug")))
    )
)
NEW_ORG = Prepared(
    lambda: Organization.insert(
        name=Slot("name"), slug=Slot("slug"), created_at=Slot("created_at", Organization.created_at.db_value)
    )
)


def _user(email: str) -> User:
    return User.create(email=email, name=email, password_hash="x", session_token="t")


def test_a_prepared_select_answers_each_run_with_its_own_values(app):
    ada, bob = _user("ada@example.org"), _user("bob@example.org")
    north = Organization.create(name="North", slug="north")
    south = Organization.create(name="South", slug="south")
    Membership.create(user=ada, organization=north, role="owner")
    Membership.create(user=bob, organization=south, role="door")

    found = MEMBER.first(user=bob.id, slug="south")
    assert found.role == "door" and found.organization.name == "South"  # the joined row is attached
    assert MEMBER.first(user=ada.id, slug="north").organization.slug == "north"
    assert MEMBER.first(user=ada.id, slug="south") is None
    assert MEMBER.rows(user=bob, slug="south")[0].user_id == bob.id  # a model converts to its id


def test_a_prepared_insert_takes_fresh_values(app):
    when = utcnow() - dt.timedelta(days=2)
    NEW_ORG.execute(name="One", slug="one", created_at=when)
    NEW_ORG.execute(name="Two", slug="two", created_at=utcnow())
    assert Organization.get(Organization.slug == "one").created_at == when
    assert Organization.get(Organization.slug == "two").name == "Two"


def test_a_prepared_insert_may_not_freeze_a_default_timestamp(app):
    frozen = Prepared(lambda: Organization.insert(name=Slot("name"), slug=Slot("slug")))
    with pytest.raises(ValueError, match="created_at"):
        frozen.execute(name="Late", slug="late")
