"""Migration 0751 on a database holding campaigns of earlier versions: their recipient counters
are filled from the recipient rows (what tally.recount counts)."""

from __future__ import annotations

import pytest

from tests.migrations import database_before, insert_row
from webapp import migrate


@pytest.fixture
def old_database(tmp_path, monkeypatch):
    """A database migrated up to the one before 0751 (foreign keys not enforced)."""
    with database_before("0751", tmp_path, monkeypatch) as database:
        yield database


def test_existing_campaigns_get_counters_equal_to_their_rows(old_database):
    rows = [
        # (campaign, status, skip reason, soft failures, unsubscribed, complained)
        (1, "sent", None, 0, True, False),
        (1, "sent", None, 1, False, True),
        (1, "bounced", None, 0, False, False),
        (1, "skipped", "unsubscribed", 0, False, False),
        (1, "skipped", "bounced", 0, False, False),
        (1, "deferred", None, 2, False, False),
        (2, "queued", None, 0, False, False),
    ]
    for contact, (campaign, status, reason, soft, unsubscribed, complained) in enumerate(rows, start=1):
        insert_row(
            old_database,
            "campaign_recipient",
            organization_id=1,
            campaign_id=campaign,
            contact_id=contact,
            email=f"p{contact}@example.org",
            status=status,
            skip_reason=reason,
            soft_failures=soft,
            unsubscribed_at="2026-01-02 03:04:05" if unsubscribed else None,
            complained_at="2026-01-02 03:04:05" if complained else None,
        )
    migrate.upgrade(old_database)
    counted = {}
    for campaign, key, value in old_database.execute_sql('SELECT "campaign_id", "key", "value" FROM "campaign_tally"'):
        counted.setdefault(campaign, {})[key] = value
    assert counted == {
        1: {
            "sent": 2,
            "bounced": 1,
            "skipped": 2,
            "deferred": 1,
            "skipped:unsubscribed": 1,
            "skipped:bounced": 1,
            "soft": 2,
            "unsubscribed": 1,
            "complained": 1,
        },
        2: {"queued": 1},
    }
