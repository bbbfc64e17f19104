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


def test_rows_after_the_first_run_are_built_like_the_first(app):
    """The column mapping is worked out on the first run (here one that finds nothing) and reused:
    later rows still get their own values, converted, with the joined row attached."""
    assert MEMBER.rows(user=999, slug="nowhere") == []
    ada = _user("ada@example.org")
    for slug, role in (("north", "owner"), ("south", "door")):
        Membership.create(user=ada, organization=Organization.create(name=slug.title(), slug=slug), role=role)

    north, south = MEMBER.first(user=ada.id, slug="north"), MEMBER.first(user=ada.id, slug="south")
    assert (north.role, north.organization.name) == ("owner", "North")
    assert (south.role, south.organization.name) == ("door", "South")
    assert isinstance(south.organization.created_at, dt.datetime)  # converted, not the stored text
    assert not south._dirty  # as loaded: saving it changes nothing
