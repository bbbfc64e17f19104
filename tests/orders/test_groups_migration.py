"""Migration 0690 on a database holding events and registrants of earlier versions: every event
gets its default group (Attendees), and every registrant joins it. Migration 0711: the events made
after 0690 without their default group get it."""

from __future__ import annotations

import pytest

from tests.migrations import database_before, insert_row
from webapp import migrate


@pytest.fixture
def old_database(request, tmp_path, monkeypatch):
    """A database migrated up to the one before 0690, or before the migration given as the
    fixture's parameter (foreign keys not enforced)."""
    with database_before(getattr(request, "param", "0690"), tmp_path, monkeypatch) as database:
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


@pytest.mark.parametrize("old_database", ["0711"], indirect=True)
def test_events_made_without_their_default_group_get_it_and_the_others_keep_theirs(old_database):
    db = old_database
    for event_id in (1, 2):
        insert_row(db, "event", id=event_id, organization_id=1, slug=f"e{event_id}", name=f"Event {event_id}")
    insert_row(
        db, "participant_group", id=7, organization_id=1, event_id=1, name="Attendees", is_default=True, key="k7"
    )
    insert_row(db, "participant_group", id=8, organization_id=1, event_id=2, name="Press", is_default=False, key="k8")
    migrate.upgrade(db)
    groups = db.execute_sql(
        'SELECT "event_id", "name", "is_default" FROM "participant_group" WHERE "is_default" ORDER BY "event_id"'
    ).fetchall()
    assert [(g[0], g[1], bool(g[2])) for g in groups] == [(1, "Attendees", True), (2, "Attendees", True)]
    assert db.execute_sql('SELECT COUNT(*) FROM "participant_group"').fetchone()[0] == 3
