"""With the real processes: the consumer builds the wallet passes of a paid order, and sends an
operator's push to a push service on loopback, which decrypts it and checks its VAPID signature."""

from __future__ import annotations

import re

import pytest
import requests

from tests.audiences.push_service import PushService
from tests.worker.conftest import wait_until

pytestmark = pytest.mark.worker

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@pytest.fixture
def push_service():
    service = PushService()
    yield service
    service.close()


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
    visitor = requests.Session()
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
