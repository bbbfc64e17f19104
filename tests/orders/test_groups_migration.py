"""Migration 0690 on a database holding events and registrants of earlier versions: every event
gets its default group (Attendees), and every registrant joins it."""

from __future__ import annotations

import pytest

from tests.migrations import database_before, insert_row
from webapp import migrate


@pytest.fixture
def old_database(tmp_path, monkeypatch):
    """A database migrated up to the one before 0690 (foreign keys not enforced)."""
    with database_before("0690", tmp_path, monkeypatch) as database:
        yield database


def test_every_event_gets_its_default_group_and_its_registrants_join_it(old_database):
    db = old_database
    for event_id in (1, 2):
        insert_row(db, "event", id=event_id, organization_id=1, slug=f"e{event_id}", name=f"Event {event_id}")
    for registrant_id, event_id in ((1, 1), (2, 1), (3, 2)):
        insert_row(db, "registrant", id=registrant_id, organization_id=1, event_id=event_id, order_id=1, product_id=1,
                ticket_secret=f"S{registrant_id}", name="A", email="a@example.org")  # fmt: skip
    migrate.upgrade(db)
    groups = db.execute_sql(
        'SELECT "id", "event_id", "name", "is_default", "key" FROM "participant_group" ORDER BY "event_id"'
    ).fetchall()
    assert [(g[1], g[2], bool(g[3])) for g in groups] == [(1, "Attendees", True), (2, "Attendees", True)]
    assert len({g[4] for g in groups}) == 2  # each its own registration link
    by_event = {g[1]: g[0] for g in groups}
    joined = db.execute_sql('SELECT "id", "group_id" FROM "registrant" ORDER BY "id"').fetchall()
    assert joined == [(1, by_event[1]), (2, by_event[1]), (3, by_event[2])]
