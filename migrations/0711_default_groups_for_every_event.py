"""Every event has its default participant group from the moment it is made: the events made
after migration 0690 (which got their group lazily, on first use) and still without one get it now."""

import datetime as dt
import secrets


def upgrade(db, migrator):
    p = db.param
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    without = db.execute_sql(
        'SELECT "id", "organization_id" FROM "event" e WHERE NOT EXISTS '
        '(SELECT 1 FROM "participant_group" g WHERE g."event_id" = e."id" AND g."is_default")'
    ).fetchall()
    for event_id, organization_id in without:
        db.execute_sql(
            'INSERT INTO "participant_group" ("organization_id", "event_id", "name", "is_default", "key", '
            '"registration", "product_ids", "badge_layout", "position", "created_at") '
            f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})",
            (organization_id, event_id, "Attendees", True, secrets.token_hex(8), "open", "[]", "standard", 0, now),
        )
