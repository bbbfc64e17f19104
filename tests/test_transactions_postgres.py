"""On PostgreSQL a transaction's BEGIN travels with its first statement, in one message
(webapp/db/connection.py): a round trip fewer, and still one transaction. What it writes is seen
by nobody else before COMMIT and undone by a rollback, whichever way its statements are sent."""

from __future__ import annotations

from contextlib import closing

import psycopg2
import pytest
from flask import current_app
from psycopg2.extensions import TRANSACTION_STATUS_IDLE

from tests.round_trips import on_postgres, statements_sent
from webapp.accounts.models import Organization
from webapp.contacts import bulk
from webapp.db import Prepared, Slot, db, on_commit, utcnow

pytestmark = on_postgres

NEW_ORG = Prepared(
    lambda: Organization.insert(
        name=Slot("name"), slug=Slot("slug"), created_at=Slot("created_at", Organization.created_at.db_value)
    )
)


class Undo(Exception):
    pass


def _others_see(slug: str) -> bool:
    """Whether another connection sees the organization: only once it is committed."""
    url = current_app.config["SETTINGS"].database_url
    with closing(psycopg2.connect(url)) as other, other.cursor() as cursor:
        cursor.execute('SELECT 1 FROM "organization" WHERE "slug" = %s', (slug,))
        return cursor.fetchone() is not None


def _kept(*slugs: str) -> set[str]:
    return {o.slug for o in Organization.select().where(Organization.slug.in_(slugs))}


def test_begin_goes_with_the_first_statement_and_the_writes_stay_unseen_until_commit(app):
    with statements_sent(db.connection()) as sent:
        with db.atomic():
            Organization.create(name="North", slug="north")
            assert not _others_see("north")
            Organization.create(name="South", slug="south")
            assert not _others_see("north") and not _others_see("south")
    assert len(sent) == 3, sent
    assert sent[0].startswith('BEGIN; INSERT INTO "organization"') and sent[-1] == "COMMIT"
    assert _others_see("north") and _others_see("south")


def test_a_rollback_undoes_the_first_statement_too(app):
    with pytest.raises(Undo), db.atomic():
        Organization.create(name="East", slug="east")
        Organization.create(name="West", slug="west")
        raise Undo
    assert _kept("east", "west") == set()
    assert db.connection().get_transaction_status() == TRANSACTION_STATUS_IDLE


def test_a_transaction_that_sends_nothing_sends_no_begin_and_no_commit(app):
    ran = []
    with statements_sent(db.connection()) as sent:
        with db.atomic():
            on_commit(lambda: ran.append("after commit"))
    assert sent == [] and ran == ["after commit"]
    Organization.create(name="Later", slug="later")  # not inside a transaction left open
    assert _others_see("later")


def test_a_first_statement_refused_before_it_is_sent_leaves_the_transaction_still_to_begin(app):
    """A NUL byte is refused by the driver before anything goes out: BEGIN must go with the next
    statement, or that statement would commit on its own."""
    with pytest.raises(Undo), db.atomic():
        with pytest.raises(ValueError):
            Organization.create(name="Nul\x00", slug="nul")
        Organization.create(name="After", slug="after")
        assert not _others_see("after")
        raise Undo
    assert _kept("nul", "after") == set()


def test_a_prepared_statement_first_prepared_inside_a_transaction_is_part_of_it(app):
    db.close_all()  # fresh connections: the statement is prepared on this one inside the block
    with pytest.raises(Undo), db.atomic():
        NEW_ORG.execute(name="Prepared", slug="prepared", created_at=utcnow())
        assert not _others_see("prepared")
        raise Undo
    assert _kept("prepared") == set()
    with db.atomic():
        NEW_ORG.execute(name="Prepared", slug="prepared", created_at=utcnow())
    assert _others_see("prepared")


def test_a_cursor_taken_inside_a_transaction_writes_inside_it(app):
    """Bulk writes run their own statements on a cursor (execute_values): BEGIN goes first."""
    made = {"timezone": "UTC", "currency": "IDR", "brand_color": "#000000", "created_at": utcnow()}
    rows = [{"name": n, "slug": n.lower(), **made} for n in ("Bulk1", "Bulk2")]
    with pytest.raises(Undo), db.atomic():
        bulk.insert_ignore(Organization, rows)
        assert not _others_see("bulk1")
        raise Undo
    assert _kept("bulk1", "bulk2") == set()
