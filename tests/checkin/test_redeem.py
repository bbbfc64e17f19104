"""The redeem service: every answer of the vocabulary, in DESIGN.md's order, each attempt logged."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import current_app
from flask_babel import force_locale

from tests.factories.accounts import make_org
from tests.factories.catalog import make_product
from tests.factories.checkin import make_checkin_list
from tests.factories.events import make_event
from tests.factories.orders import make_order, make_registrant
from webapp import signals
from webapp.accounts.audit import AuditEntry
from webapp.checkin import service
from webapp.checkin.lists import default_list
from webapp.checkin.models import Checkin
from webapp.db import utcnow
from webapp.i18n import render_stored
from webapp.orders.models import Registrant

_READ_WITH_EVENT = {"on": False}


@pytest.fixture(autouse=True, params=["holder read by redeem", "holder read with the event"])
def holder_read(request):
    """Every answer both ways: the holder read by `redeem`, and read with the event in one
    statement as the API's scan does (`event_for_scan`)."""
    _READ_WITH_EVENT["on"] = request.param == "holder read with the event"
    yield
    _READ_WITH_EVENT["on"] = False


def scan(event, registrant_or_secret, **kwargs):
    secret = getattr(registrant_or_secret, "ticket_secret", registrant_or_secret)
    if _READ_WITH_EVENT["on"]:
        event = service.event_for_scan(event.id, event.organization_id, secret)
    return service.redeem(event, secret, **kwargs)


def test_a_holder_read_with_the_event_for_another_secret_is_not_used(event, ticket):
    first, second = make_registrant(event, ticket), make_registrant(event, ticket)
    read = service.event_for_scan(event.id, event.organization_id, first.ticket_secret)
    assert read.scanned.id == first.id
    answer = service.redeem(read, second.ticket_secret)
    assert answer.ok and answer.registrant.id == second.id
    assert Registrant.get_by_id(first.id).checked_in_at is None


def test_the_event_of_another_organization_is_not_read_for_a_scan(event, ticket):
    registrant = make_registrant(event, ticket)
    assert service.event_for_scan(event.id, make_org().id, registrant.ticket_secret) is None
    assert service.event_for_scan(event.id, event.organization_id, "NO-SUCH-TICKET").scanned is None


def test_valid_ticket_is_admitted_and_marked_attended(event, ticket, door_user):
    registrant = make_registrant(event, ticket)
    answer = scan(event, registrant, gate="North", user=door_user)
    assert (answer.result, answer.reason) == ("ok", None)
    assert answer.registrant.id == registrant.id
    assert Registrant.get_by_id(registrant.id).checked_in_at is not None
    logged = Checkin.get_by_id(answer.checkin.id)
    assert (logged.result, logged.gate, logged.user_id, logged.kind) == ("ok", "North", door_user.id, "entry")


def test_scanned_text_is_forgiven_case_and_spaces(event, ticket):
    registrant = make_registrant(event, ticket)
    assert scan(event, " " + registrant.ticket_secret.lower() + "\n").ok


def test_second_scan_answers_already_checked_in_with_when_and_gate(event, ticket):
    registrant = make_registrant(event, ticket)
    first = scan(event, registrant, gate="North")
    second = scan(event, registrant, gate="South")
    assert (second.result, second.reason) == ("error", "already_checked_in")
    assert second.previous["gate"] == "North"
    assert second.previous["at"] == first.checkin.created_at


def test_unknown_secret_is_invalid_and_logged(event):
    answer = scan(event, "NOTAREALTICKETSECRET234567")
    assert (answer.result, answer.reason, answer.registrant) == ("error", "invalid", None)
    logged = Checkin.get_by_id(answer.checkin.id)
    assert (logged.result, logged.reason, logged.registrant_id) == ("error", "invalid", None)


def test_empty_scan_is_invalid(event):
    assert scan(event, "   ").reason == "invalid"


def test_ticket_of_another_event_answers_wrong_event_without_naming_its_holder(org, event, ticket):
    other_event = make_event(org)
    registrant = make_registrant(other_event, make_product(other_event), attendees=[{"name": "Hidden Person"}])
    answer = scan(event, registrant)
    assert (answer.result, answer.reason) == ("error", "wrong_event")
    assert answer.registrant is None
    logged = Checkin.get_by_id(answer.checkin.id)
    assert logged.registrant_id is None and "Hidden" not in str(logged.data)
    assert Registrant.get_by_id(registrant.id).checked_in_at is None


def test_ticket_of_another_organization_is_unknown_here(event):
    stranger_event = make_event(make_org())
    registrant = make_registrant(stranger_event, make_product(stranger_event))
    assert scan(event, registrant).reason == "invalid"


@pytest.mark.parametrize("status", ["pending", "expired"])
def test_unpaid_order_answers_unpaid_and_needs_a_person(event, ticket, status):
    registrant = make_registrant(event, ticket, status=status)
    answer = scan(event, registrant)
    assert answer.reason == "unpaid"
    assert answer.needs_attention


@pytest.mark.parametrize("status", ["canceled", "refunded"])
def test_canceled_order_answers_canceled(event, ticket, status):
    assert scan(event, make_registrant(event, ticket, status=status)).reason == "canceled"


def test_canceled_ticket_answers_canceled_even_after_it_was_checked_in(event, ticket):
    registrant = make_registrant(event, ticket)
    assert scan(event, registrant).ok
    Registrant.update(canceled=True).where(Registrant.id == registrant.id).execute()
    assert scan(event, registrant).reason == "canceled"


def test_pending_approval_answers_unapproved(event, ticket):
    answer = scan(event, make_registrant(event, ticket, approval="pending"))
    assert answer.reason == "unapproved"
    assert answer.needs_attention


def test_ticket_type_not_on_the_list_answers_product(event, ticket):
    vip = make_product(event, name="VIP")
    vip_door = make_checkin_list(event, all_products=False, product_ids=[vip.id])
    assert scan(event, make_registrant(event, ticket), checkin_list=vip_door).reason == "product"
    assert scan(event, make_registrant(event, vip), checkin_list=vip_door).ok


def test_add_on_only_answers_product_and_asks_for_a_person(event):
    addon = make_product(event, name="Parking", admits_entry=True)
    registrant = make_registrant(event, addon)
    addon.admits_entry = False
    addon.save()
    answer = scan(event, registrant)
    assert answer.reason == "product"
    assert any("Add-on" in note for note in answer.needs_attention)


def test_list_time_window_answers_not_yet_then_expired(event, ticket):
    registrant = make_registrant(event, ticket)
    later = make_checkin_list(event, starts_at=utcnow() + dt.timedelta(hours=1))
    closed = make_checkin_list(event, ends_at=utcnow() - dt.timedelta(minutes=1))
    open_now = make_checkin_list(
        event, starts_at=utcnow() - dt.timedelta(hours=1), ends_at=utcnow() + dt.timedelta(hours=1)
    )
    assert scan(event, registrant, checkin_list=later).reason == "not_yet"
    assert scan(event, registrant, checkin_list=closed).reason == "expired"
    assert scan(event, registrant, checkin_list=open_now).ok


def test_blocked_ticket_answers_blocked(event, ticket):
    registrant = make_registrant(event, ticket)
    Registrant.update(blocked=True).where(Registrant.id == registrant.id).execute()
    assert scan(event, registrant).reason == "blocked"


def test_checks_run_in_the_fixed_order(event, ticket):
    # Unpaid beats canceled and blocked; already checked in beats a product the list does not take.
    registrant = make_registrant(event, ticket, status="pending")
    Registrant.update(canceled=True, blocked=True).where(Registrant.id == registrant.id).execute()
    assert scan(event, registrant).reason == "unpaid"

    admitted = make_registrant(event, ticket)
    assert scan(event, admitted).ok
    other = make_product(event)
    entrance = default_list(event)
    entrance.all_products, entrance.product_ids = False, [other.id]
    entrance.save()
    assert scan(event, admitted).reason == "already_checked_in"


def test_every_attempt_is_logged(event, ticket, door_user):
    registrant = make_registrant(event, ticket)
    scan(event, "UNKNOWN", user=door_user, gate="A")
    scan(event, registrant, user=door_user, gate="A")
    scan(event, registrant, user=door_user, gate="B")
    rows = list(Checkin.select().where(Checkin.event == event).order_by(Checkin.id))
    assert [(r.result, r.reason, r.gate) for r in rows] == [
        ("error", "invalid", "A"),
        ("ok", None, "A"),
        ("error", "already_checked_in", "B"),
    ]
    assert all(r.user_id == door_user.id and r.created_at for r in rows)


def test_default_list_exists_once_per_event(event):
    first = default_list(event)
    assert default_list(event).id == first.id
    assert first.is_default and first.all_products and not first.multi_entry


def test_checked_in_signal_is_sent_for_entries_after_commit(event, ticket):
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs["checkin_id"])

    signals.checked_in.connect(receiver)
    try:
        answer = scan(event, make_registrant(event, ticket))
        scan(event, "UNKNOWN")
    finally:
        signals.checked_in.disconnect(receiver)
    assert received == [answer.checkin.id]


def test_answers_shown_at_the_door_come_with_the_registrant(event, ticket):
    from tests.factories.catalog import make_question
    from webapp.checkin.door import answer_payload

    diet = make_question(event, label="Dietary needs", per_attendee=True, show_at_checkin=True)
    hidden = make_question(event, label="How did you hear of us", per_attendee=True)
    order = make_order(
        event, {ticket: 1}, attendees=[{"name": "Ana", "answers": {str(diet.id): "Vegan", str(hidden.id): "Radio"}}]
    )
    payload = answer_payload(scan(event, order.registrants.get()))
    assert payload["colour"] == "green"
    assert payload["registrant"]["name"] == "Ana"
    assert payload["registrant"]["product"] == "Standard"
    assert payload["registrant"]["answers"] == [{"label": "Dietary needs", "value": "Vegan"}]


def test_flagged_order_is_admitted_but_amber(event, ticket):
    from webapp.checkin.door import answer_payload

    registrant = make_registrant(event, ticket, flag="Paid amount differs: check receipt")
    payload = answer_payload(scan(event, registrant))
    assert payload["result"] == "ok" and payload["colour"] == "amber"
    assert "check receipt" in payload["needs_attention"][0]


def test_forced_check_in_needs_a_supervisor_and_a_reason(event, ticket, door_user, supervisor):
    registrant = make_registrant(event, ticket, status="pending")
    with pytest.raises(service.NotAllowed):
        scan(event, registrant, user=door_user, force_reason="VIP guest")
    with pytest.raises(service.CheckinError):
        scan(event, registrant, user=supervisor, force_reason="  ")
    answer = scan(event, registrant, user=supervisor, force_reason="Paid cash to the host")
    assert answer.ok
    logged = Checkin.get_by_id(answer.checkin.id)
    assert logged.forced and logged.force_reason == "Paid cash to the host"
    assert logged.data["overridden"] == "unpaid"
    entry = AuditEntry.get(AuditEntry.action == "checkin.force")
    assert "Paid cash to the host" in entry.summary and entry.user_id == supervisor.id
    # The answer overridden is kept as the door's words: each reader reads them in their language.
    assert entry.summary == f"Forced check-in of {registrant.name} over Not paid: Paid cash to the host"
    with current_app.test_request_context(), force_locale("id"):
        shown = render_stored(entry.summary_i18n, entry.summary)
    assert shown == f"Check-in paksa {registrant.name} meski Belum dibayar: Paid cash to the host"


def test_forced_second_entry_on_a_single_entry_list(event, ticket, supervisor):
    registrant = make_registrant(event, ticket)
    assert scan(event, registrant).ok
    assert scan(event, registrant, user=supervisor, force_reason="Lost wristband").ok
    assert service.stats(event)["checked_in"] == 1


def test_invalid_ticket_cannot_be_forced(event, supervisor):
    assert scan(event, "NOPE", user=supervisor, force_reason="let them in").reason == "invalid"


def test_check_in_reaches_the_contact_timeline(event, ticket):
    from webapp.contacts.models import Activity, Contact

    registrant = make_registrant(event, ticket, attendees=[{"name": "Made Wirawan", "email": "made@example.org"}])
    answer = scan(event, registrant, gate="East")
    contact = Contact.get(Contact.email == "made@example.org")
    activity = Activity.get((Activity.contact == contact) & (Activity.kind == "checked_in"))
    assert activity.registrant_id == registrant.id and "East" in activity.summary
    assert activity.data["checkin_id"] == answer.checkin.id
