"""Segments as saved things: names, the one-click segments of an event, the daily count."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories.contacts import make_contact
from tests.factories.events import make_event
from tests.factories.orders import make_registrant
from tests.segments.helpers import attach, cond, group
from webapp.db import utcnow
from webapp.segments import choices, query, service
from webapp.segments.models import SegmentCount


def test_names_are_unique_in_an_organization_whatever_the_case(org):
    service.create_segment(org.id, name="VIPs", tree=group())
    with pytest.raises(service.SegmentError) as caught:
        service.create_segment(org.id, name="  vips ", tree=group())
    assert caught.value.field == "name"


def test_an_events_one_click_segments(org):
    past = make_event(org, starts_at=utcnow() - dt.timedelta(days=2))
    ana, budi, citra = (make_contact(org, f"{n}@example.org") for n in ("ana", "budi", "citra"))
    attach(make_registrant(past), ana, checked_in_at=utcnow() - dt.timedelta(days=2))
    attach(make_registrant(past), budi)
    attach(make_registrant(past, status="pending"), citra)

    def members(state):
        return {c.email for c in query.members(org.id, service.event_segment_tree(past, state))}

    assert members("registered") == {"ana@example.org", "budi@example.org"}
    assert members("attended") == {"ana@example.org"}
    assert members("no_show") == {"budi@example.org"}
    assert members("pending_payment") == {"citra@example.org"}


def test_the_daily_count_is_recorded_once_per_day(org):
    segment = service.create_segment(org.id, name="Named Ana", tree=group(cond("name", "contains", "ana")))
    make_contact(org, "ana@example.org", name="Ana")
    today = utcnow().date()
    assert service.record_daily_counts(today) == 1
    make_contact(org, "ana2@example.org", name="Ana Dua")
    service.record_daily_counts(today)
    assert [(c.day, c.count) for c in service.counts_over_time(segment)] == [(today, 2)]
    assert SegmentCount.select().count() == 1


def test_value_choices_list_only_the_organizations_rows(org):
    from tests.factories.accounts import make_org

    mine = make_event(org, name="Mine")
    make_event(make_org(), name="Theirs")
    make_contact(org, "ana@example.org", custom={"age": 3, "city": "Bandung", "joined": "2024-01-02"})
    assert [c["value"] for c in choices.value_choices(org.id, "events")] == [mine.id]
    fields = {c["value"]: c["field_type"] for c in choices.value_choices(org.id, "custom_fields")}
    assert fields == {"age": "number", "city": "text", "joined": "date"}
    assert "lost" in [c["value"] for c in choices.value_choices(org.id, "stages")]


def test_registrants_come_into_the_contact_book_from_registration(org):
    from webapp.contacts.models import Contact
    from webapp.orders import contact_sync

    make_registrant(make_event(org), buyer_email="ana@example.org")
    contact_sync.sync_pending()
    assert [(c.email, c.source) for c in Contact.for_org(org.id)] == [("ana@example.org", "registration")]


def test_postgresql_connections_do_not_compile_queries_just_in_time(org):
    from webapp.db import db, is_postgres

    if not is_postgres():
        pytest.skip("PostgreSQL only")
    assert db.execute_sql("SHOW jit").fetchone()[0] == "off"
