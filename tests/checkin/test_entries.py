"""Multi-entry lists, exits, nonce replay, undo, the two-gates race and the live numbers."""

from __future__ import annotations

import threading

import pytest

from tests.factories.catalog import make_product
from tests.factories.checkin import make_checkin_list
from tests.factories.orders import make_registrant
from webapp.checkin import service
from webapp.checkin.lists import default_list
from webapp.checkin.models import Attendance, Checkin
from webapp.db import db
from webapp.orders.models import Registrant


def scan(event, registrant, **kwargs):
    return service.redeem(event, registrant.ticket_secret, **kwargs)


def test_multi_entry_list_admits_again_and_again(event, ticket):
    workshop = make_checkin_list(event, multi_entry=True)
    registrant = make_registrant(event, ticket)
    assert [scan(event, registrant, checkin_list=workshop).result for _ in range(3)] == ["ok"] * 3
    assert Attendance.get(Attendance.registrant == registrant.id).entries == 3


def test_exit_scan_lets_a_single_entry_ticket_back_in(event, ticket):
    hall = make_checkin_list(event, allow_exit=True)
    registrant = make_registrant(event, ticket)
    assert scan(event, registrant, checkin_list=hall).ok
    assert scan(event, registrant, checkin_list=hall).reason == "already_checked_in"
    out = scan(event, registrant, checkin_list=hall, kind="exit")
    assert out.ok and out.kind == "exit"
    assert service.stats(event, hall)["inside"] == 0
    assert scan(event, registrant, checkin_list=hall).ok
    assert service.stats(event, hall)["inside"] == 1


def test_list_without_exits_refuses_an_exit_scan(event, ticket):
    with pytest.raises(service.CheckinError):
        scan(event, make_registrant(event, ticket), kind="exit")


def test_same_nonce_returns_the_first_answer_and_enters_once(event, ticket):
    registrant = make_registrant(event, ticket)
    first = scan(event, registrant, nonce="scan-1", gate="A")
    again = scan(event, registrant, nonce="scan-1", gate="A")
    assert first.ok and again.ok and again.replayed
    assert again.checkin.id == first.checkin.id
    assert Checkin.select().where(Checkin.registrant == registrant.id).count() == 1
    assert scan(event, registrant, nonce="scan-2").reason == "already_checked_in"


def test_nonces_longer_than_the_log_keeps_are_refused_not_cut_into_a_replay(event, ticket):
    first, second = make_registrant(event, ticket), make_registrant(event, ticket)
    for registrant, tail in ((first, "A"), (second, "B")):
        with pytest.raises(service.CheckinError):
            scan(event, registrant, nonce="n" * 64 + tail * 16)
    assert not Checkin.select().exists()
    assert scan(event, second, nonce="n" * 64).ok  # the longest nonce the log keeps


def test_same_nonce_on_a_multi_entry_list_enters_once(event, ticket):
    workshop = make_checkin_list(event, multi_entry=True)
    registrant = make_registrant(event, ticket)
    first = scan(event, registrant, checkin_list=workshop, nonce="w-1")
    again = scan(event, registrant, checkin_list=workshop, nonce="w-1")
    assert first.ok and again.ok and again.replayed
    assert again.checkin.id == first.checkin.id
    assert Attendance.get(Attendance.registrant == registrant.id).entries == 1
    assert Checkin.select().where(Checkin.registrant == registrant.id).count() == 1


def test_replayed_exit_scan_does_not_scan_the_holder_out_again(event, ticket):
    hall = make_checkin_list(event, allow_exit=True)
    registrant = make_registrant(event, ticket)
    scan(event, registrant, checkin_list=hall)
    out = scan(event, registrant, checkin_list=hall, kind="exit", nonce="x-1")
    assert scan(event, registrant, checkin_list=hall).ok  # back in
    again = scan(event, registrant, checkin_list=hall, kind="exit", nonce="x-1")
    assert (again.kind, again.replayed, again.checkin.id) == ("exit", True, out.checkin.id)
    assert service.stats(event, hall)["inside"] == 1


def test_replayed_forced_check_in_is_recorded_once(event, ticket, supervisor):
    from webapp.accounts.audit import AuditEntry

    registrant = make_registrant(event, ticket, status="pending")
    first = scan(event, registrant, user=supervisor, force_reason="Paid cash", nonce="f-1")
    again = scan(event, registrant, user=supervisor, force_reason="Paid cash", nonce="f-1")
    assert first.ok and again.replayed and again.checkin.id == first.checkin.id
    assert AuditEntry.select().where(AuditEntry.action == "checkin.force").count() == 1


def test_replayed_refusal_keeps_its_reason_and_previous_gate(event, ticket):
    registrant = make_registrant(event, ticket)
    scan(event, registrant, gate="North")
    first = scan(event, registrant, gate="South", nonce="n-7")
    again = scan(event, registrant, gate="South", nonce="n-7")
    assert (again.reason, again.previous["gate"], again.replayed) == ("already_checked_in", "North", True)
    assert again.previous["at"] == first.previous["at"]


def test_undo_lets_the_ticket_in_again_and_clears_attended(event, ticket, door_user):
    registrant = make_registrant(event, ticket)
    answer = scan(event, registrant, user=door_user)
    service.undo(answer.checkin, user=door_user)
    assert Registrant.get_by_id(registrant.id).checked_in_at is None
    assert service.stats(event)["checked_in"] == 0
    with pytest.raises(service.CheckinError):
        service.undo(Checkin.get_by_id(answer.checkin.id), user=door_user)
    assert scan(event, registrant).ok


def test_undo_keeps_attended_while_another_entry_stands(event, ticket):
    side_door = make_checkin_list(event)
    registrant = make_registrant(event, ticket)
    first = scan(event, registrant)
    scan(event, registrant, checkin_list=side_door)
    service.undo(first.checkin, user=None)
    assert Registrant.get_by_id(registrant.id).checked_in_at is not None


def test_door_staff_undo_only_their_own_check_ins(event, ticket, door_user, supervisor, org):
    from tests.factories.accounts import make_member

    colleague = make_member(org, "door")
    answer = scan(event, make_registrant(event, ticket), user=colleague)
    with pytest.raises(service.NotAllowed):
        service.undo(answer.checkin, user=door_user)
    service.undo(answer.checkin, user=supervisor)


def test_failed_scan_cannot_be_undone(event):
    with pytest.raises(service.CheckinError):
        service.undo(service.redeem(event, "NOPE").checkin, user=None)


def test_stats_count_expected_checked_in_and_per_gate(event, ticket):
    vip = make_product(event, name="VIP")
    people = [make_registrant(event, ticket) for _ in range(3)] + [make_registrant(event, vip)]
    make_registrant(event, ticket, status="pending")
    make_registrant(event, ticket, status="canceled")
    scan(event, people[0], gate="North")
    scan(event, people[1], gate="North")
    scan(event, people[3], gate="South")
    scan(event, people[3], gate="South")  # refused: not counted
    numbers = service.stats(event)
    assert (numbers["expected"], numbers["checked_in"]) == (4, 3)
    assert numbers["gates"] == [{"gate": "North", "entries": 2}, {"gate": "South", "entries": 1}]
    vip_only = make_checkin_list(event, all_products=False, product_ids=[vip.id])
    assert service.stats(event, vip_only)["expected"] == 1


def _race(app, event_id, list_id, secret, gates, nonce=None):
    """Scan one ticket at every gate at the same moment, each gate on its own connection."""
    barrier = threading.Barrier(len(gates))
    answers, errors = [], []

    def gate_worker(gate):
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                from webapp.checkin.models import CheckinList
                from webapp.events.models import Event

                event = Event.get_by_id(event_id)
                checkin_list = CheckinList.get_by_id(list_id)
                barrier.wait()
                answers.append(service.redeem(event, secret, checkin_list=checkin_list, gate=gate, nonce=nonce))
            except Exception as exc:  # reported below: a crash is a failure, not a pass
                errors.append(exc)
            finally:
                db.close()

    threads = [threading.Thread(target=gate_worker, args=(gate,)) for gate in gates]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return answers


@pytest.mark.parametrize("round_", range(3))
def test_two_gates_scanning_one_ticket_at_once_admit_it_once(app, event, ticket, round_):
    registrant = make_registrant(event, ticket)
    entrance = default_list(event)
    db.close()  # every gate uses a connection of its own
    answers = _race(app, event.id, entrance.id, registrant.ticket_secret, ["North", "South"])
    db.connect(reuse_if_open=True)
    assert sorted(a.result for a in answers) == ["error", "ok"]
    refused = next(a for a in answers if not a.ok)
    admitted = next(a for a in answers if a.ok)
    assert refused.reason == "already_checked_in"
    assert refused.previous["gate"] == admitted.checkin.gate
    assert Checkin.select().where((Checkin.registrant == registrant.id) & (Checkin.result == "ok")).count() == 1
    assert Attendance.get(Attendance.registrant == registrant.id).entries == 1


def test_many_gates_at_once_still_admit_once(app, event, ticket):
    registrant = make_registrant(event, ticket)
    entrance = default_list(event)
    db.close()
    answers = _race(app, event.id, entrance.id, registrant.ticket_secret, [f"Gate {n}" for n in range(6)])
    db.connect(reuse_if_open=True)
    assert [a.result for a in answers].count("ok") == 1
    assert len(answers) == 6


def test_one_scan_sent_twice_at_once_is_logged_once(app, event, ticket):
    registrant = make_registrant(event, ticket)
    entrance = default_list(event)
    db.close()
    answers = _race(app, event.id, entrance.id, registrant.ticket_secret, ["North", "North"], nonce="twice")
    db.connect(reuse_if_open=True)
    assert [a.result for a in answers] == ["ok", "ok"]
    assert sorted(a.replayed for a in answers) == [False, True]
    assert answers[0].checkin.id == answers[1].checkin.id
    assert Checkin.select().where(Checkin.registrant == registrant.id).count() == 1
    assert Attendance.get(Attendance.registrant == registrant.id).entries == 1
