"""Migration 0752 on a database of an earlier version: audit entries, timeline entries, order flags
and job errors written before keep their English text, with no stored message beside it."""

from __future__ import annotations

import pytest

from tests.migrations import database_before, insert_row
from webapp import migrate

COLUMNS = {
    "audit_entry": "summary_i18n",
    "activity": "summary_i18n",
    "order": "flag_i18n",
    "payment": "flag_i18n",
    "job": "error_i18n",
    "campaign": "paused_reason_i18n",
}


@pytest.fixture
def old_database(tmp_path, monkeypatch):
    with database_before("0752", tmp_path, monkeypatch) as database:
        yield database


def test_rows_written_before_keep_their_text_and_have_no_message(old_database):
    insert_row(old_database, "audit_entry", organization_id=1, action="order.cancel", summary="Canceled Ana")
    insert_row(old_database, "activity", organization_id=1, contact_id=1, kind="note", summary="Called Ana")
    migrate.upgrade(old_database)
    for table, column in COLUMNS.items():
        assert column in [c.name for c in old_database.get_columns(table)]
    assert list(old_database.execute_sql('SELECT "summary", "summary_i18n" FROM "audit_entry"')) == [
        ("Canceled Ana", None)
    ]
    assert list(old_database.execute_sql('SELECT "summary", "summary_i18n" FROM "activity"')) == [("Called Ana", None)]
