"""Migration 0753 on a database of an earlier version: each product's tally starts at the items it
has that are not canceled, and the database keeps it from then on (new items and new products:
tests/orders/test_seat_tally.py)."""

from __future__ import annotations

import pytest

from tests.conftest import TEST_DATABASE_URL
from tests.migrations import database_before, insert_row
from webapp import migrate


@pytest.fixture
def old_database(tmp_path, monkeypatch):
    with database_before("0753", tmp_path, monkeypatch) as database:
        yield database


def _tallies(database) -> dict[int, int]:
    return dict(database.execute_sql('SELECT "product_id", "live_items" FROM "seat_tally"'))


def test_tallies_start_at_the_items_sold_and_follow_new_ones(old_database):
    for product_id in (1, 2, 3):
        insert_row(old_database, "product", id=product_id, organization_id=1, event_id=1)
    for item_id, product_id, canceled in ((1, 1, False), (2, 1, False), (3, 1, True), (4, 2, True)):
        insert_row(old_database, "order_item", id=item_id, organization_id=1, order_id=1, product_id=product_id,
                   canceled=canceled)  # fmt: skip
    migrate.upgrade(old_database)
    assert _tallies(old_database) == {1: 2, 2: 0, 3: 0}

    if TEST_DATABASE_URL:  # the old rows were written with triggers off (and foreign keys unchecked)
        old_database.execute_sql("SET session_replication_role = origin")
    old_database.execute_sql('UPDATE "order_item" SET "canceled" = NOT "canceled" WHERE "id" IN (2, 4)')
    assert _tallies(old_database) == {1: 1, 2: 1, 3: 0}
