"""An organization with an event, ticket types and a signed-in operator for the console tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.factories.accounts import make_member, make_org, make_user
from tests.factories.catalog import make_product
from tests.factories.events import make_event


@dataclass
class Desk:
    org: object
    owner: object
    event: object
    product: object
    vip: object
    client: object  # signed in as the owner


@pytest.fixture
def desk(app, auth) -> Desk:
    owner = make_user(name="Olivia Owner")
    org = make_org("Desk Org", owner=owner)
    event = make_event(org, name="Launch Night")
    product = make_product(event, name="Regular")
    vip = make_product(event, name="VIP", quota=3)
    return Desk(org, owner, event, product, vip, auth.client_for(owner, org))


@pytest.fixture
def member_client(app, auth):
    """A client signed in to `org` with `role`."""

    def make(org, role: str):
        user = make_member(org, role)
        return auth.client_for(user, org)

    return make
