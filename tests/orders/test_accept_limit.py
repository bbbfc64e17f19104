"""A group's accept limit holds for operators too: single, bulk and API accepts past it are
refused with nothing changed, and two operators accepting at once never pass it."""

from __future__ import annotations

import threading

from tests.factories.accounts import make_member, make_org, make_user
from tests.factories.api import ApiClient, make_api_key
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_order
from webapp.catalog import groups as catalog_groups
from webapp.db import db
from webapp.orders import service
from webapp.orders.models import Order, Registrant


def _awaiting(event, ticket, group, n: int = 1) -> Order:
    """An order of `n` people in `group` awaiting the operator (as registration makes it)."""
    order = make_order(event, {ticket: n}, status="pending", approval="pending", expires_at=None)
    Registrant.update(group=group.id).where(Registrant.order == order.id).execute()
    return order


def _setup(limit: str = "2"):
    org = make_org()
    event = make_event(org)
    ticket = make_product(event, price=0)
    group = catalog_groups.create(
        event, {"name": "Community", "registration": "accept_limit", "accept_limit": limit}, actor=None
    )
    return org, event, ticket, group


def _accepted(group) -> int:
    return Registrant.select().join(Order).where((Registrant.group == group.id) & (Order.approval != "pending")).count()


def test_accepting_past_a_groups_accept_limit_is_refused_and_changes_nothing(app):
    org, event, ticket, group = _setup("2")
    first, pair = _awaiting(event, ticket, group), _awaiting(event, ticket, group, 2)
    service.approve_order(first, actor=None)
    try:
        service.approve_order(pair, actor=None)
    except service.OrderError as exc:
        assert "accept limit of Community" in str(exc) and "1 more person" in str(exc)
    else:
        raise AssertionError("two people accepted where one place was left")
    assert Order.get_by_id(pair.id).approval == "pending" and _accepted(group) == 1


def test_the_registrant_page_shows_why_an_accept_was_refused(app, auth):
    org, event, ticket, group = _setup("1")
    user = make_member(org, "manager", make_user())
    client = auth.client_for(user, org)
    first, second = _awaiting(event, ticket, group), _awaiting(event, ticket, group)
    for order in (first, second):
        registrant = order.registrants.get()
        response = client.post(f"/console/events/{event.id}/registrants/{registrant.id}/approve", follow_redirects=True)
        assert response.status_code == 200
    assert "Accepting this would pass the accept limit of Community" in response.get_data(as_text=True)
    assert Order.get_by_id(first.id).approval == "approved" and Order.get_by_id(second.id).approval == "pending"


def test_a_bulk_accept_takes_only_as_many_as_the_limit_allows(app, auth):
    org, event, ticket, group = _setup("2")
    user = make_member(org, "manager", make_user())
    client = auth.client_for(user, org)
    orders = [_awaiting(event, ticket, group) for _ in range(3)]
    ids = [o.registrants.get().id for o in orders]
    response = client.post(
        f"/console/events/{event.id}/registrants/bulk",
        data={"action": "approve", "ids": ids, "scope": "selected"},
        follow_redirects=True,
    )
    assert "2 done, 0 unchanged, 1 refused." in response.get_data(as_text=True)
    assert _accepted(group) == 2
    assert [Order.get_by_id(o.id).approval for o in orders] == ["approved", "approved", "pending"]


def test_the_api_answers_409_past_the_accept_limit(app, client):
    org, event, ticket, group = _setup("1")
    _, token = make_api_key(org)
    api = ApiClient(client, token)
    first, second = _awaiting(event, ticket, group), _awaiting(event, ticket, group)
    accepted = api.post(f"/orders/{first.id}/accept")
    assert accepted.status_code == 200 and accepted.json["approval"] == "approved"
    refused = api.post(f"/orders/{second.id}/accept")
    assert refused.status_code == 409 and "accept limit" in refused.json["error"]["message"]
    assert Order.get_by_id(second.id).approval == "pending"
    declined = api.post(f"/orders/{second.id}/decline")
    assert declined.status_code == 200 and declined.json["approval"] == "declined"
    assert api.post(f"/orders/{second.id}/decline").status_code == 409


def test_two_operators_accepting_the_last_place_at_once_accept_one(threaded_app):
    org, event, ticket, group = _setup("3")
    service.approve_order(_awaiting(event, ticket, group, 2), actor=None)
    racers = [_awaiting(event, ticket, group) for _ in range(6)]
    barrier = threading.Barrier(len(racers))
    outcomes = [""] * len(racers)

    def accept(i: int, order_id: int) -> None:
        with threaded_app.app_context():
            db.connect(reuse_if_open=True)
            try:
                order = Order.get_by_id(order_id)
                barrier.wait(timeout=30)
                service.approve_order(order, actor=None)
                outcomes[i] = "ok"
            except service.OrderError:
                outcomes[i] = "refused"
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                outcomes[i] = f"error: {exc!r}"
            finally:
                db.close()

    threads = [threading.Thread(target=accept, args=(i, o.id)) for i, o in enumerate(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(outcomes) == ["ok"] + ["refused"] * 5, outcomes
    assert _accepted(group) == 3


def test_the_refusal_speaks_the_operators_language(app, auth):
    from webapp.accounts.models import User

    org, event, ticket, group = _setup("0")
    user = make_member(org, "manager", make_user())
    User.update(language="id").where(User.id == user.id).execute()
    client = auth.client_for(user, org)
    registrant = _awaiting(event, ticket, group).registrants.get()
    page = client.post(
        f"/console/events/{event.id}/registrants/{registrant.id}/approve", follow_redirects=True
    ).get_data(as_text=True)
    assert "Menerima ini akan melewati batas penerimaan Community (0)" in page
