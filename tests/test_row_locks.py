"""Row locks between connections (PostgreSQL): a transaction holding a row, to decide on it, holds
off every other writer of that row, and no more. A new row that only points at the held one (a
contact of the organization) is written meanwhile: with FOR UPDATE, PostgreSQL's check of its
foreign key would wait for the holder's COMMIT (`webapp.db.locked`)."""

from __future__ import annotations

import pytest

from tests.conftest import TEST_DATABASE_URL
from tests.connections import in_another_connection
from tests.factories.accounts import make_member, make_org
from webapp.accounts import members
from webapp.accounts.models import Membership
from webapp.contacts import service as contacts
from webapp.contacts.models import Contact
from webapp.db import write_transaction

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="row locks between connections: PostgreSQL")


def _owners(org):
    first = Membership.get((Membership.organization == org.id) & (Membership.role == "owner"))
    second = make_member(org, role="owner")
    return first, Membership.get((Membership.organization == org.id) & (Membership.user == second.id))


def test_the_organization_takes_new_contacts_while_a_change_of_owners_holds_it(app):
    org = make_org()
    first, _ = _owners(org)
    added: list = []
    with write_transaction():
        assert members._leaves_no_owner(first) is False  # the organization's row is held from here
        sync = in_another_connection(app, lambda: contacts.upsert_contact(org.id, "new@example.org").id, added)
        sync.join(timeout=5)
        written_meanwhile = not sync.is_alive()
    sync.join(timeout=30)
    assert written_meanwhile, "a new contact of the organization waited for the change of its owners"
    assert Contact.get_by_id(added[0]).email == "new@example.org"


def test_two_changes_of_owners_still_wait_for_each_other(app):
    """Two owners stepping down at once: the second counts the owners after the first's COMMIT."""
    org = make_org()
    first, second = _owners(org)
    answers: list = []

    def second_steps_down() -> bool:
        with write_transaction():
            return members._leaves_no_owner(second)

    with write_transaction():
        assert members._leaves_no_owner(first) is False
        Membership.update(role="admin").where(Membership.id == first.id).execute()
        other = in_another_connection(app, second_steps_down, answers)
        other.join(timeout=1)
        waited = other.is_alive()
    other.join(timeout=30)
    assert waited
    assert answers == [True]  # it saw the first owner gone: the second is now the last
