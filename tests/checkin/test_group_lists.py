"""Check-in lists limited to participant groups: a ticket of another group is not valid on the
list (reason `product`), its numbers count only the groups it admits."""

from __future__ import annotations

from tests.factories.accounts import make_member, make_user
from tests.factories.orders import make_registrant
from webapp.catalog import groups as catalog_groups
from webapp.checkin import lists, service
from webapp.checkin.models import CheckinList
from webapp.orders.models import Registrant


def test_a_list_limited_to_a_group_admits_only_that_group(event, ticket):
    speakers = catalog_groups.create(event, {"name": "Speakers"}, actor=None)
    backstage = lists.save_list(
        event, name="Backstage", all_products=True, product_ids=[], starts_at=None, ends_at=None,
        multi_entry=False, allow_exit=False, actor=None, group_ids=[speakers.id],
    )  # fmt: skip
    speaker = make_registrant(event, ticket)
    Registrant.update(group=speakers.id).where(Registrant.id == speaker.id).execute()
    attendee = make_registrant(event, ticket)  # no group set: the default group
    refused = service.redeem(event, attendee.ticket_secret, checkin_list=backstage)
    assert (refused.result, refused.reason) == ("error", "product")
    assert service.redeem(event, speaker.ticket_secret, checkin_list=backstage).ok
    assert service.redeem(event, attendee.ticket_secret).ok  # the default list admits everyone
    assert service.stats(event, backstage)["expected"] == 1


def test_the_default_group_on_a_list_includes_people_without_a_group(event, ticket):
    default = catalog_groups.default_group(event)
    main = lists.save_list(
        event, name="Main hall", all_products=True, product_ids=[], starts_at=None, ends_at=None,
        multi_entry=False, allow_exit=False, actor=None, group_ids=[default.id],
    )  # fmt: skip
    attendee = make_registrant(event, ticket)
    assert service.redeem(event, attendee.ticket_secret, checkin_list=main).ok


def test_the_list_form_offers_groups_and_refuses_another_events_group(app, auth, org, event, ticket):
    from tests.factories.events import make_event

    client = auth.client_for(make_member(org, "manager", make_user()), org)
    speakers = catalog_groups.create(event, {"name": "Speakers"}, actor=None)
    form_page = client.get(f"/console/events/{event.id}/checkin/lists/new").get_data(as_text=True)
    assert "Only these participant groups" in form_page and "Speakers" in form_page
    saved = client.post(
        f"/console/events/{event.id}/checkin/lists/new",
        data={"name": "VIP door", "all_products": "y", "group_ids": [str(speakers.id)]},
    )
    assert saved.status_code == 303
    assert CheckinList.get(CheckinList.name == "VIP door").group_ids == [speakers.id]
    other = catalog_groups.create(make_event(org), {"name": "Elsewhere"}, actor=None)
    refused = client.post(
        f"/console/events/{event.id}/checkin/lists/new",
        data={"name": "Bad", "all_products": "y", "group_ids": [str(other.id)]},
    )
    assert refused.status_code == 422
