"""Audiences end to end: browsers subscribe over HTTP, an operator sends a push from the console,
and a local push service that speaks Web Push (RFC 8030) receives it. The service checks the VAPID
JWT (RFC 8292) against the organization's public key and decrypts the aes128gcm payload (RFC 8291)
with the subscription's private key made here; a subscription it answers 410 for is removed."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.audiences.push_service import PushService
from tests.factories.accounts import make_member, make_org
from tests.factories.contacts import make_contact
from tests.factories.events import make_event
from tests.factories.tickets import make_paid_order
from webapp.audiences.models import PushMessage, PushSubscription
from webapp.work.models import WorkItem


@pytest.fixture
def push_service():
    service = PushService()
    yield service
    service.close()


@pytest.fixture
def setup(app, auth):
    org = make_org(name="Kopi Kita", timezone="Asia/Jakarta")
    event = make_event(org, name="Latte Art Night", status="published")
    return org, event, auth.client_for(make_member(org, "manager"), org)


def _subscribe(client, org, subscription, event=None, **extra):
    body = {"org": org.slug, "event": event.id if event else None, "subscription": subscription, **extra}
    return client.post("/push/subscribe", json=body)


def test_a_push_reaches_the_events_audience_encrypted_and_signed_and_expired_ones_are_removed(
    setup, client, push_service
):
    org, event, console = setup
    landing = client.get(f"/e/{org.slug}/{event.slug}").get_data(as_text=True)
    assert "Get notified" in landing and "/static/js/push." in landing
    public_key = client.get(f"/push/{org.slug}/key").json["publicKey"]

    assert _subscribe(client, org, push_service.browser("ana"), event).status_code == 201
    assert _subscribe(client, org, push_service.browser("budi"), event).status_code == 201
    assert _subscribe(client, org, push_service.browser("orgwide")).status_code == 201  # the organization's
    push_service.gone.add("budi")  # Budi's browser unsubscribed since: the service answers 410

    response = console.post(
        "/console/audiences/send",
        data={"audience": f"event:{event.id}", "title": "Doors open", "body": "In 30 minutes, see you!",
              "url": f"/e/{org.slug}/{event.slug}"},
    )  # fmt: skip
    assert response.status_code == 303, response.get_data(as_text=True)

    assert push_service.refused == []
    (got,) = push_service.received
    assert got["name"] == "ana"
    assert got["payload"] == {
        "title": "Doors open",
        "body": "In 30 minutes, see you!",
        "url": f"http://rollcall.test/e/{org.slug}/{event.slug}",
    }
    assert got["k"] == public_key  # signed with the key the browser subscribed with
    assert got["claims"]["aud"] == push_service.origin
    endpoints = {s.endpoint.rsplit("/", 1)[1] for s in PushSubscription.select()}
    assert endpoints == {"ana", "orgwide"}  # Budi's expired subscription is gone
    message = PushMessage.get()
    assert (message.state, message.delivered, message.removed, message.failed) == ("sent", 1, 1, 0)

    page = console.get("/console/audiences").get_data(as_text=True)
    assert "Doors open" in page and "Latte Art Night" in page


def test_a_push_to_the_organization_reaches_only_its_followers(setup, client, push_service):
    org, event, console = setup
    _subscribe(client, org, push_service.browser("ana"), event)
    _subscribe(client, org, push_service.browser("fan"))
    console.post("/console/audiences/send", data={"audience": "organization", "title": "New season", "body": ""})
    assert [r["name"] for r in push_service.received] == ["fan"]
    assert push_service.received[0]["payload"]["url"] == ""


def test_a_scheduled_push_waits_for_its_time_and_can_be_canceled(setup, client, push_service):
    from webapp import work

    org, event, console = setup
    _subscribe(client, org, push_service.browser("ana"), event)
    data = {"audience": f"event:{event.id}", "title": "Tomorrow", "send_at": "2099-01-01T09:00"}
    assert console.post("/console/audiences/send", data=data).status_code == 303
    message = PushMessage.get()
    assert message.state == "scheduled" and push_service.received == []
    assert message.send_at == dt.datetime(2099, 1, 1, 2, 0)  # 09:00 in Jakarta is 02:00 UTC

    # Its time comes: the work engine sends it.
    WorkItem.update(run_after=dt.datetime(2000, 1, 1)).execute()
    work.run_ready()
    assert [r["payload"]["title"] for r in push_service.received] == ["Tomorrow"]

    console.post("/console/audiences/send", data={**data, "title": "Never"})
    later = PushMessage.select().order_by(PushMessage.id.desc()).get()
    assert console.post(f"/console/audiences/messages/{later.id}/cancel").status_code == 303
    WorkItem.update(run_after=dt.datetime(2000, 1, 1)).execute()
    work.run_ready()
    assert [r["payload"]["title"] for r in push_service.received] == ["Tomorrow"]
    assert PushMessage.get_by_id(later.id).state == "canceled"


def test_a_subscription_from_the_order_page_is_linked_to_the_buyers_contact(app, client, push_service):
    order = make_paid_order(["Ana Putri"])
    order.event.status = "published"
    order.event.save()
    contact = make_contact(order.event.organization, email="ana@example.org")
    registrant = order.registrants.get()
    registrant.contact = contact
    registrant.save()
    org = order.event.organization

    assert "Get notified" in client.get(f"/o/{order.secret}").get_data(as_text=True)
    assert _subscribe(client, org, push_service.browser("ana"), order.event, order=order.secret).status_code == 201
    assert PushSubscription.get().contact_id == contact.id


@pytest.mark.parametrize(
    ("link", "accepted"),
    [
        ("/e/kopi/latte", True),
        ("https://kopikita.example/menu", True),
        ("http://kopikita.example/menu", False),
        ("javascript:alert(1)", False),
        ("//evil.example/", False),
        ("/e/\x00", False),
        ("https://", False),
    ],
)
def test_push_links_are_our_own_paths_or_https(setup, link, accepted):
    org, event, console = setup
    response = console.post("/console/audiences/send", data={"audience": "organization", "title": "Hi", "url": link})
    # NUL bytes and lone surrogates are refused before any view (400); the rest beside the field.
    assert response.status_code == 303 if accepted else response.status_code in (400, 422)
    if response.status_code == 422:
        assert "https:// address" in response.get_data(as_text=True)
    assert PushMessage.select().count() == (1 if accepted else 0)


@pytest.mark.parametrize(
    "subscription",
    [
        None,
        {"endpoint": "https://push.example/x"},
        {"endpoint": "http://push.example/x", "keys": {"p256dh": "A" * 87, "auth": "A" * 22}},
        {"endpoint": "https://10.0.0.5/x", "keys": {"p256dh": "A" * 87, "auth": "A" * 22}},
        {"endpoint": "https://push.example/x", "keys": {"p256dh": "not base64 !", "auth": "A" * 22}},
        {"endpoint": "https://push.example/x", "keys": {"p256dh": "A" * 87, "auth": "AA"}},
        {"endpoint": ["x"], "keys": {}},
    ],
)
def test_bad_subscriptions_get_a_400_not_a_500(setup, client, subscription):
    org, event, _ = setup
    response = _subscribe(client, org, subscription, event)
    assert response.status_code == 400
    assert "error" in response.json
    assert PushSubscription.select().count() == 0


def test_bad_requests_to_subscribe_are_refused(setup, client):
    org, event, _ = setup
    assert client.post("/push/subscribe", data=b"[" * 5000, content_type="application/json").status_code == 400
    assert client.post("/push/subscribe", json={"org": "nope"}).status_code == 404
    assert client.post("/push/subscribe", json={"org": org.slug, "event": 10**30}).status_code == 400
    assert client.post("/push/subscribe", json={"org": org.slug, "event": True}).status_code == 400
    assert client.get("/push/subscribe").status_code == 405
    draft = make_event(org, name="Draft", status="draft")
    assert _subscribe(client, org, {}, draft).status_code == 404


def test_subscribing_needs_the_pages_csrf_token(csrf_app, push_service):
    org = make_org()
    event = make_event(org, status="published")
    client = csrf_app.test_client()
    assert _subscribe(client, org, push_service.browser("ana"), event).status_code == 400
    assert PushSubscription.select().count() == 0


def test_the_service_worker_is_served_for_the_whole_site(app, client):
    response = client.get("/push-sw.js")
    assert response.status_code == 200
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "javascript" in response.headers["Content-Type"]
    assert b"showNotification" in response.data


def test_door_staff_cannot_send_pushes(app, auth):
    org = make_org()
    client = auth.client_for(make_member(org, "door"), org)
    assert client.get("/console/audiences").status_code in (403, 404)
    response = client.post("/console/audiences/send", data={"audience": "organization", "title": "x"})
    assert response.status_code in (403, 404)
    assert PushMessage.select().count() == 0


def test_get_notified_speaks_indonesian(setup, client):
    org, event, _ = setup
    event.languages = ["en", "id"]
    event.save()
    page = client.get(f"/e/{org.slug}/{event.slug}?lang=id").get_data(as_text=True)
    assert "Dapatkan notifikasi" in page and "Beri tahu saya tentang acara ini" in page


def test_an_events_pages_lead_to_pushing_its_followers(setup):
    org, event, console = setup
    page = console.get(f"/console/events/{event.id}/emails").get_data(as_text=True)
    assert f"/console/audiences?event_id={event.id}" in page
    chosen = console.get(f"/console/audiences?event_id={event.id}").get_data(as_text=True)
    assert f'<option selected value="event:{event.id}">' in chosen
