"""Pass updates pushed through APNs: when an event moves, every device registered for one of its
passes gets one HTTP/2 push (empty JSON, apns-topic the pass type id) over TLS with the pass
certificate as client certificate, at a local APNs stand-in; 410 removes the registration, 400 is
recorded, 5xx is retried by the work engine without telling anyone twice."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import zipfile

import pytest

from tests.factories.tickets import make_paid_order
from tests.factories.wallet import PASS_TYPE_ID, make_chain, pem
from tests.tickets.apns_server import ApnsServer
from webapp import work
from webapp.events import service as events
from webapp.orders.models import Registrant
from webapp.tickets import wallet, wallet_keys, wallet_push
from webapp.tickets.models import WalletPass, WalletRegistration
from webapp.timeutil import to_local
from webapp.work.models import WorkItem


@pytest.fixture
def chain():
    return make_chain()


@pytest.fixture
def apns(app, chain):
    server = ApnsServer(client_ca=[chain.root, chain.wwdr], expected_client=chain.cert)
    app.config["SETTINGS"] = dataclasses.replace(
        app.config["SETTINGS"], apns_url=server.url, apns_ca_file=server.ca_file
    )
    yield server
    server.close()


@pytest.fixture
def order(app, chain):
    order = make_paid_order(["Ana Putri", "Budi Santoso"])
    wallet_keys.save_apple(
        order.organization_id, pass_type_id=PASS_TYPE_ID, team_id="A1B2C3D4E5",
        certificate=chain.cert_with_key(), password="", wwdr=pem(chain.wwdr),
    )  # fmt: skip
    return order


def _passes(order) -> list[WalletPass]:
    passes = [wallet.build(r) for r in order.registrants.order_by(Registrant.id)]
    # Built a while ago: a change made now is a later version (Last-Modified has whole seconds).
    for built in passes:
        WalletPass.update(updated_at=built.updated_at - dt.timedelta(minutes=5)).where(
            WalletPass.id == built.id
        ).execute()
    return [WalletPass.get_by_id(p.id) for p in passes]


def _auth(wallet_pass) -> dict:
    return {"Authorization": f"ApplePass {wallet.auth_token(wallet_pass.serial)}"}


def _register(client, wallet_pass, device: str, token: str) -> None:
    path = f"/wallet/v1/devices/{device}/registrations/{PASS_TYPE_ID}/{wallet_pass.serial}"
    assert client.post(path, json={"pushToken": token}, headers=_auth(wallet_pass)).status_code == 201


def _move(event, venue: str) -> None:
    data = {
        "name": event.name, "slug": event.slug, "timezone": event.timezone, "currency": event.currency,
        "starts_at": to_local(event.starts_at, event.timezone).replace(tzinfo=None),
        "ends_at": to_local(event.ends_at, event.timezone).replace(tzinfo=None),
        "venue_name": venue,
    }  # fmt: skip
    events.update_event(event, data, actor=None, actor_label="test")


def _venue(pkpass: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(pkpass)) as archive:
        content = json.loads(archive.read("pass.json"))
    return next(f["value"] for f in content["eventTicket"]["secondaryFields"] if f["key"] == "venue")


def test_moving_the_venue_pushes_each_registered_device_once_and_410_unregisters(app, client, order, apns, chain):
    ana, budi = _passes(order)
    _register(client, ana, "phone-ana", "aa11")
    _register(client, ana, "watch-ana", "gone22")
    _register(client, budi, "phone-budi", "bb33")
    _register(client, budi, "old-budi", "bad44")
    apns.answers = {"gone22": (410, "Unregistered"), "bad44": (400, "BadDeviceToken")}
    latest = f"/wallet/v1/passes/{PASS_TYPE_ID}/{ana.serial}"
    held = client.get(latest, headers=_auth(ana))
    assert held.status_code == 200

    _move(order.event, "JCC Senayan")

    assert apns.refused == []
    assert apns.tokens() == ["aa11", "bad44", "bb33", "gone22"]
    for push in apns.received:
        assert push["method"] == "POST" and push["path"] == f"/3/device/{push['token']}"
        assert push["topic"] == PASS_TYPE_ID and push["body"] == b"{}"
    registrations = {r.push_token: r for r in WalletRegistration.select()}
    assert sorted(registrations) == ["aa11", "bad44", "bb33"]  # the 410 device is unregistered
    assert registrations["bad44"].push_error == "400 BadDeviceToken" and registrations["bad44"].push_error_at
    assert registrations["aa11"].push_error == "" and registrations["aa11"].pushed_at is not None
    assert not WorkItem.select().where(WorkItem.kind == wallet_push.KIND).exists()

    # The pushed device asks for its pass as it holds it: it gets the new one.
    fresh = client.get(latest, headers={**_auth(ana), "If-Modified-Since": held.headers["Last-Modified"]})
    assert fresh.status_code == 200
    assert _venue(fresh.data) == "JCC Senayan" and _venue(held.data) != "JCC Senayan"

    # A change the passes do not show tells nobody.
    event = order.event
    events.update_event(
        event,
        {"name": event.name, "slug": event.slug, "timezone": event.timezone, "currency": event.currency,
         "starts_at": to_local(event.starts_at, event.timezone).replace(tzinfo=None),
         "ends_at": to_local(event.ends_at, event.timezone).replace(tzinfo=None),
         "venue_name": "JCC Senayan", "summary": "Bring a friend"},
        actor=None, actor_label="test",
    )  # fmt: skip
    assert len(apns.received) == 4


def test_apns_unavailable_is_retried_by_the_engine_without_pushing_twice(app, client, order, apns):
    ana, budi = _passes(order)
    _register(client, ana, "phone-ana", "aa11")
    _register(client, budi, "phone-budi", "bb33")
    apns.answers = {"bb33": (503, "ServiceUnavailable")}

    _move(order.event, "Gedung Sate")

    assert apns.tokens() == ["aa11", "bb33"]
    item = WorkItem.get(WorkItem.kind == wallet_push.KIND)
    assert item.attempts == 1 and "ServiceUnavailable" in item.last_error and item.dead_at is None

    apns.answers = {}
    WorkItem.update(run_after=item.created_at).where(WorkItem.id == item.id).execute()  # its backoff is over
    work.run_ready()

    assert apns.tokens() == ["aa11", "bb33", "bb33"]  # only the device that was not told
    assert not WorkItem.select().where(WorkItem.kind == wallet_push.KIND).exists()


def test_a_client_certificate_apns_does_not_trust_reaches_nobody(app, client, order, apns, chain):
    """The stand-in checks the client certificate is the organization's pass certificate: a pass
    certificate of another chain is turned away at the TLS handshake, and the push is retried."""
    other = make_chain()
    wallet_keys.save_apple(
        order.organization_id, pass_type_id=PASS_TYPE_ID, team_id="A1B2C3D4E5",
        certificate=other.cert_with_key(), password="", wwdr=pem(other.wwdr),
    )  # fmt: skip
    ana, _budi = _passes(order)
    _register(client, ana, "phone-ana", "aa11")

    _move(order.event, "Gedung Merdeka")

    item = WorkItem.get(WorkItem.kind == wallet_push.KIND)
    assert item.attempts == 1 and "to tell again" in item.last_error
    assert apns.received == [] and apns.wait_refused()


def test_a_device_registering_now_is_not_pushed_for_the_version_it_holds(app, client, order, apns):
    ana, _budi = _passes(order)
    _register(client, ana, "phone-ana", "aa11")
    assert wallet_push.record_pushes(WalletPass.select(WalletPass.id)) == 0
    assert apns.received == []
