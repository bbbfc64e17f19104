"""With the real processes: the consumer builds the wallet passes of a paid order, tells the
devices that hold them through a local APNs (HTTP/2, TLS with the pass certificate) when the event
moves, and sends an operator's push to a push service on loopback, which decrypts it and checks
its VAPID signature."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest

from tests.audiences.push_service import PushService
from tests.factories.wallet import PASS_TYPE_ID, make_chain, pem
from tests.tickets.apns_server import ApnsServer
from tests.worker.conftest import Session, wait_until

pytestmark = pytest.mark.worker

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@pytest.fixture
def push_service():
    service = PushService()
    yield service
    service.close()


@pytest.fixture
def apns(tier):
    """A local APNs that trusts this chain's pass certificate, and a consumer that pushes to it."""
    chain = make_chain()
    server = ApnsServer(client_ca=[chain.root, chain.wwdr], expected_client=chain.cert)
    server.chain = chain
    tier.worker.stop()
    tier.worker.env = {**tier.env, "ROLLCALL_APNS_URL": server.url, "ROLLCALL_APNS_CA_FILE": str(server.ca_file)}
    try:
        tier.start_worker()
        yield server
    finally:
        tier.worker.stop()
        tier.worker.env = tier.env
        tier.start_worker()
        server.close()


def test_moving_the_venue_makes_the_worker_push_the_devices_of_its_passes(tier, org_setup, apns):
    org, chain = org_setup, apns.chain
    tier.seed(
        f"""
        from webapp.tickets import wallet_keys
        wallet_keys.save_apple({org["org"]}, pass_type_id={PASS_TYPE_ID!r}, team_id="A1B2C3D4E5",
                               certificate={chain.cert_with_key()!r}, password="", wwdr={pem(chain.wwdr)!r})
        """
    )
    api = tier.api(org["token"])
    people = [{"name": "Ana", "email": "ana@w.test"}, {"name": "Budi", "email": "budi@w.test"}]
    order = api.post(
        f"/events/{org['event']}/registrants",
        json={"product_id": org["product"], "send_ticket": False, "people": people},
    )
    assert order.status_code == 201, order.text
    ids = [r["id"] for r in order.json()["registrants"]]

    def built():
        found = tier.seed(
            f"""
            import datetime as dt
            from webapp.tickets import wallet
            from webapp.tickets.models import WalletPass
            rows = list(WalletPass.select().where(WalletPass.registrant.in_({ids})).order_by(WalletPass.registrant))
            if len(rows) == 2 and all(row.path for row in rows):
                # Built a while ago: a change made now is a later version (whole seconds).
                for row in rows:
                    WalletPass.update(updated_at=row.updated_at - dt.timedelta(minutes=5)).where(
                        WalletPass.id == row.id).execute()
                out.update(passes=[[row.serial, wallet.auth_token(row.serial)] for row in rows])
            """
        )
        return found.get("passes")

    (ana, ana_auth), (budi, budi_auth) = wait_until(built, timeout=60, what="the consumer to build both passes")
    device = Session()
    latest = f"{tier.base_url}/wallet/v1/passes/{PASS_TYPE_ID}/{ana}"
    held = device.get(latest, headers={"Authorization": f"ApplePass {ana_auth}"}, timeout=30)
    assert held.status_code == 200
    for serial, auth, name, token in ((ana, ana_auth, "phone-ana", "aa11"), (budi, budi_auth, "phone-budi", "bb22"),
                                      (budi, budi_auth, "tablet-budi", "gone33")):  # fmt: skip
        registered = device.post(
            f"{tier.base_url}/wallet/v1/devices/{name}/registrations/{PASS_TYPE_ID}/{serial}",
            json={"pushToken": token}, headers={"Authorization": f"ApplePass {auth}"}, timeout=30,
        )  # fmt: skip
        assert registered.status_code == 201, registered.text
    apns.answers = {"gone33": (410, "Unregistered")}

    moved = api.patch(f"/events/{org['event']}", json={"venue_name": "JCC Senayan"})
    assert moved.status_code == 200, moved.text

    def unregistered():
        left = tier.seed(
            """
            from webapp.tickets.models import WalletRegistration
            out.update(tokens=sorted(r.push_token for r in WalletRegistration.select()))
            """
        )["tokens"]
        return len(apns.received) == 3 and "gone33" not in left and left

    assert wait_until(unregistered, timeout=60, what=lambda: f"three pushes, got {apns.received}") == ["aa11", "bb22"]
    assert apns.tokens() == ["aa11", "bb22", "gone33"] and apns.refused == []
    assert {(p["topic"], p["body"]) for p in apns.received} == {(PASS_TYPE_ID, b"{}")}

    fresh = device.get(
        latest,
        headers={"Authorization": f"ApplePass {ana_auth}", "If-Modified-Since": held.headers["Last-Modified"]},
        timeout=30,
    )
    assert fresh.status_code == 200
    with zipfile.ZipFile(io.BytesIO(fresh.content)) as archive:
        fields = json.loads(archive.read("pass.json"))["eventTicket"]["secondaryFields"]
    assert {f["key"]: f["value"] for f in fields}["venue"] == "JCC Senayan"


def test_the_worker_builds_the_passes_of_an_order_paid_over_the_api(tier, org_setup):
    org = org_setup
    tier.seed(
        f"""
        from tests.factories.wallet import PASS_TYPE_ID, make_chain, pem
        from webapp.tickets import wallet_keys
        chain = make_chain()
        wallet_keys.save_apple({org["org"]}, pass_type_id=PASS_TYPE_ID, team_id="A1B2C3D4E5",
                               certificate=chain.cert_with_key(), password="", wwdr=pem(chain.wwdr))
        """
    )
    order = tier.api(org["token"]).post(
        f"/events/{org['event']}/registrants",
        json={"product_id": org["product"], "send_ticket": False, "people": [{"name": "Ana", "email": "ana@w.test"}]},
    )
    assert order.status_code == 201, order.text
    registrant_id = order.json()["registrants"][0]["id"]

    def built():
        found = tier.seed(
            f"""
            from webapp.tickets.models import WalletPass
            row = WalletPass.get_or_none(WalletPass.registrant == {registrant_id})
            out.update(path=row.path if row else "", size=row.size if row else 0)
            """
        )
        return found["path"] and found

    stored = wait_until(built, timeout=60, what="the consumer to build the wallet pass")
    assert stored["path"].endswith(".pkpass") and stored["size"] > 0


def test_the_worker_sends_an_operators_push_to_the_push_service(tier, org_setup, push_service):
    org = org_setup
    slugs = tier.seed(
        f"""
        from webapp.accounts.models import Organization
        from webapp.events.models import Event
        event = Event.get_by_id({org["event"]})
        out.update(org=Organization.get_by_id({org["org"]}).slug, event=event.slug)
        """
    )
    visitor = Session()
    landing = visitor.get(f"{tier.base_url}/e/{slugs['org']}/{slugs['event']}", timeout=30)
    assert "Get notified" in landing.text
    token = CSRF_META.search(landing.text).group(1)
    subscribed = visitor.post(
        f"{tier.base_url}/push/subscribe",
        json={"org": slugs["org"], "event": org["event"], "subscription": push_service.browser("ana")},
        headers={"X-CSRFToken": token},
        timeout=30,
    )
    assert subscribed.status_code == 201, subscribed.text

    console = tier.console(org["email"])
    sent = console.post(
        "/console/audiences/send",
        data={
            "audience": f"event:{org['event']}",
            "title": "Doors open",
            "body": "Come in!",
            "csrf_token": console.csrf,
        },
    )
    assert sent.status_code == 303, sent.text[-2000:]

    received = wait_until(lambda: push_service.received, timeout=60, what="the push at the push service")
    assert push_service.refused == []
    assert received[0]["payload"]["title"] == "Doors open" and received[0]["payload"]["body"] == "Come in!"
    page = console.get("/console/audiences")
    assert "Doors open" in page.text
