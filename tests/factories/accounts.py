from __future__ import annotations

import itertools

from webapp.accounts import service
from webapp.accounts.models import Membership, Organization, User

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def make_user(email: str | None = None, name: str = "Test User", password: str = PASSWORD) -> User:
    n = next(_seq)
    return service.create_user(email or f"user{n}@example.org", name, password)


def make_org(name: str | None = None, owner: User | None = None, **kwargs) -> Organization:
    n = next(_seq)
    return service.create_organization(name or f"Org {n}", owner or make_user(), **kwargs)


def make_member(org: Organization, role: str = "manager", user: User | None = None) -> User:
    user = user or make_user()
    Membership.create(user=user, organization=org, role=role)
    return user
