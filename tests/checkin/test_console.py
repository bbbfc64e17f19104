"""Check-in set-up in the console: lists, the answers shown at the door."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories.catalog import make_product, make_question
from tests.factories.orders import make_order
from webapp.accounts.audit import AuditEntry
from webapp.catalog.models import Question
from webapp.checkin import service
from webapp.checkin.lists import default_list
from webapp.checkin.models import CheckinList


@pytest.fixture
def manager(auth, org, supervisor):
    return auth.client_for(supervisor, org)


def test_lists_page_shows_the_default_list_with_its_numbers(manager, event, ticket):
    make_order(event, {ticket: 2})
    page = manager.get(f"/console/events/{event.id}/checkin/").get_data(as_text=True)
    assert "Entrance" in page and "default" in page
    assert "<strong>0</strong> / 2" in page


def test_manager_creates_a_list_for_chosen_tickets_and_a_window(manager, org, event, ticket):
    org.timezone = "Asia/Jakarta"
    event.timezone = "Asia/Jakarta"
    event.save()
    vip = make_product(event, name="VIP")
    answer = manager.post(
        f"/console/events/{event.id}/checkin/lists/new",
        data={
            "name": "VIP lounge",
            "product_ids": [vip.id],
            "starts_at": "2030-05-01T09:00",
            "ends_at": "2030-05-01T18:00",
            "multi_entry": "y",
        },
    )
    assert answer.status_code == 303
    lounge = CheckinList.get(CheckinList.name == "VIP lounge")
    assert (lounge.all_products, lounge.product_ids, lounge.multi_entry) == (False, [vip.id], True)
    assert lounge.starts_at == dt.datetime(2030, 5, 1, 2, 0)  # 09:00 in Jakarta is 02:00 UTC
    assert AuditEntry.get(AuditEntry.action == "checkin_list.create").target_id == lounge.id
    edit = manager.get(f"/console/events/{event.id}/checkin/lists/{lounge.id}").get_data(as_text=True)
    assert 'value="2030-05-01T09:00"' in edit


def test_list_without_tickets_or_with_a_backwards_window_is_refused(manager, event, ticket):
    url = f"/console/events/{event.id}/checkin/lists/new"
    no_tickets = manager.post(url, data={"name": "Side door"})
    assert no_tickets.status_code == 422 and "at least one ticket type" in no_tickets.get_data(as_text=True)
    backwards = manager.post(
        url, data={"name": "Side", "all_products": "y", "starts_at": "2030-05-01T18:00", "ends_at": "2030-05-01T09:00"}
    )
    assert backwards.status_code == 422 and "must end after" in backwards.get_data(as_text=True)
    assert CheckinList.select().where(CheckinList.event == event.id).count() == 0


def test_default_list_and_lists_with_scans_are_kept(manager, event, ticket):
    entrance = default_list(event)
    manager.post(f"/console/events/{event.id}/checkin/lists/{entrance.id}/delete")
    assert CheckinList.get_or_none(CheckinList.id == entrance.id) is not None
    used = CheckinList.create(organization=event.organization_id, event=event, name="Used")
    service.redeem(event, "UNKNOWN", checkin_list=used)
    manager.post(f"/console/events/{event.id}/checkin/lists/{used.id}/delete")
    assert CheckinList.get_or_none(CheckinList.id == used.id) is not None
    unused = CheckinList.create(organization=event.organization_id, event=event, name="Unused")
    manager.post(f"/console/events/{event.id}/checkin/lists/{unused.id}/delete")
    assert CheckinList.get_or_none(CheckinList.id == unused.id) is None


def test_operator_chooses_the_answers_the_door_sees(manager, event, ticket):
    diet = make_question(event, label="Dietary needs", per_attendee=True)
    size = make_question(event, label="T-shirt size", per_attendee=True, show_at_checkin=True)
    manager.post(f"/console/events/{event.id}/checkin/door-answers", data={"question_ids": [diet.id]})
    assert Question.get_by_id(diet.id).show_at_checkin is True
    assert Question.get_by_id(size.id).show_at_checkin is False
    order = make_order(event, {ticket: 1}, attendees=[{"name": "Rina", "answers": {str(diet.id): "Halal"}}])
    from webapp.checkin.door import answer_payload

    payload = answer_payload(service.redeem(event, order.registrants.get().ticket_secret))
    assert payload["registrant"]["answers"] == [{"label": "Dietary needs", "value": "Halal"}]


def test_lists_of_another_organization_are_404(manager, ticket):
    from tests.factories.accounts import make_org
    from tests.factories.events import make_event

    stranger = make_event(make_org())
    assert manager.get(f"/console/events/{stranger.id}/checkin/").status_code == 404
    their_list = default_list(stranger)
    assert manager.get(f"/console/events/{stranger.id}/checkin/lists/{their_list.id}").status_code == 404
