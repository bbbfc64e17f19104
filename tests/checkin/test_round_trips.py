"""A door scan on PostgreSQL is decided in two statements: the ticket holder is read, and one
statement claims the entry, logs the scan, marks the registrant attended and records the
checked-in signal. Without a transaction around them: no BEGIN and COMMIT round trips."""

from __future__ import annotations

import pytest

from tests.checkin.test_redeem import scan
from tests.factories.api import ApiClient, make_api_key
from tests.factories.checkin import make_checkin_list
from tests.factories.orders import make_registrant
from tests.round_trips import on_postgres, statements_sent, worker_elsewhere  # noqa: F401
from webapp import work
from webapp.checkin import queries
from webapp.checkin.lists import default_list
from webapp.checkin.models import Attendance, Checkin
from webapp.db import db, utcnow
from webapp.orders.models import Registrant
from webapp.work import WorkItem

pytestmark = [on_postgres, pytest.mark.usefixtures("worker_elsewhere")]


def test_an_entry_is_admitted_in_two_statements(event, ticket, door_user):
    registrant = make_registrant(event, ticket)
    checkin_list = default_list(event)
    with statements_sent(db.connection()) as sent:
        answer = scan(event, registrant, checkin_list=checkin_list, gate="North", user=door_user)
    assert answer.ok
    assert len(sent) == 2, sent
    assert not any(s.split()[0].upper().rstrip(";") in ("BEGIN", "COMMIT", "SAVEPOINT") for s in sent), sent
    logged = Checkin.get_by_id(answer.checkin.id)
    assert (logged.result, logged.gate, logged.user_id, logged.data) == ("ok", "North", door_user.id, {})
    assert Registrant.get_by_id(registrant.id).checked_in_at == answer.checkin.created_at
    assert Attendance.get(Attendance.registrant == registrant.id).last_gate == "North"


def test_a_scan_through_the_api_reads_the_holder_with_the_event_not_apart(client, event, ticket):
    """The API's scan reads the event with its default list and the scanned ticket's holder in one
    statement; the admission is the next. (The key's checks come before: not counted here.)"""
    registrant = make_registrant(event, ticket)
    default_list(event)  # made by the first scan otherwise
    _, token = make_api_key(event.organization)
    api = ApiClient(client, token)
    with statements_sent(db.connection()) as sent:
        response = api.post(f"/events/{event.id}/checkins", {"secret": registrant.ticket_secret.lower(), "gate": "N"})
    assert response.status_code == 200 and response.json["result"] == "ok", response.json
    ran = [s.split()[1].split("(")[0] for s in sent if s.startswith("EXECUTE ")]
    assert queries.EVENT_WITH_HOLDER._name in ran
    assert queries.HOLDER_BY_SECRET._name not in ran and queries.EVENT_IN_ORG._name not in ran
    assert ran.index(queries.EVENT_WITH_HOLDER._name) == len(ran) - 2  # then the admission, last
    assert Registrant.get_by_id(registrant.id).checked_in_at is not None


def test_the_admission_records_the_checked_in_signal_as_emit_would(event, ticket):
    answer = scan(event, make_registrant(event, ticket))
    (item,) = [i for i in WorkItem.select() if i.payload.get("signal") != "organization-created"]
    assert (item.kind, item.payload) == (
        "signal",
        {"signal": "checked-in", "kwargs": {"checkin_id": answer.checkin.id}},
    )
    assert item.priority == work.URGENT and item.run_after <= utcnow()  # ready for a worker now


def test_a_lost_claim_writes_nothing_but_the_refusal(event, ticket):
    registrant = make_registrant(event, ticket)
    checkin_list = default_list(event)
    first = scan(event, registrant, checkin_list=checkin_list, gate="North")
    with statements_sent(db.connection()) as sent:
        second = scan(event, registrant, checkin_list=checkin_list, gate="South")
    assert (second.reason, second.previous["gate"]) == ("already_checked_in", "North")
    assert Checkin.select().where(Checkin.result == "ok").count() == 1
    assert Registrant.get_by_id(registrant.id).checked_in_at == first.checkin.created_at
    assert len(sent) == 4, sent  # holder, admission (nothing), attendance read, refusal logged


def test_a_replayed_nonce_on_an_admission_answers_the_first_answer(event, ticket):
    registrant = make_registrant(event, ticket)
    first = scan(event, registrant, nonce="n-1")
    again = scan(event, registrant, nonce="n-1")
    assert again.ok and again.replayed and again.checkin.id == first.checkin.id
    assert Checkin.select().count() == 1


def test_a_multi_entry_list_admits_again_in_one_statement_each(event, ticket):
    hall = make_checkin_list(event, name="Hall", multi_entry=True)
    registrant = make_registrant(event, ticket)
    assert scan(event, registrant, checkin_list=hall).ok
    with statements_sent(db.connection()) as sent:
        assert scan(event, registrant, checkin_list=hall).ok
    assert len(sent) == 2, sent
    assert Attendance.get(Attendance.checkin_list == hall.id).entries == 2
