"""Every webhook topic reaches the integrator's endpoint, signed, when the real processes run."""

from __future__ import annotations

import time

import pytest

from tests.worker.conftest import wait_until
from webapp.api.models import WEBHOOK_TOPICS
from webapp.api.webhooks import SUBSCRIPTION_CACHE_SECONDS

pytestmark = pytest.mark.worker

# The topics the actions below announce: registering, paying, scanning, contacts and their stages.
# Workflow steps (workflow.step) reach the endpoint in test_workflows.py here; campaign mail events
# (campaign.*) need a campaign sent and are delivered and checked in tests/campaigns.
TOPICS = tuple(t for t in WEBHOOK_TOPICS if not t.startswith(("campaign.", "workflow.")))


def test_every_webhook_topic_is_delivered_signed_after_actions_over_http(tier, org_setup):
    org = org_setup
    endpoint = tier.seed(
        f"""
        from webapp.api import webhooks
        endpoint, secret = webhooks.create_endpoint({org["org"]}, url={tier.receiver.url!r}, topics={list(WEBHOOK_TOPICS)!r})
        out.update(secret=secret)
        """
    )
    tier.receiver.secret = endpoint["secret"]
    time.sleep(SUBSCRIPTION_CACHE_SECONDS + 0.5)  # the processes' cached "does anyone listen?" answer
    api = tier.api(org["token"])

    order = api.post(
        f"/events/{org['event']}/registrants",
        json={
            "product_id": org["product"],
            "send_ticket": False,
            "people": [{"name": "Ana", "email": "ana@hooks.test"}],
        },
    )
    assert order.status_code == 201, order.text
    registrant = order.json()["registrants"][0]
    scan = api.post(f"/events/{org['event']}/checkins", json={"secret": registrant["ticket_secret"]})
    assert scan.json()["result"] == "ok", scan.text
    contact = api.post("/contacts", json={"email": "budi@hooks.test", "name": "Budi"})
    assert contact.status_code in (200, 201), contact.text

    def delivered():
        received = list(tier.receiver.received)
        budi = any((r["body"]["data"].get("contact") or {}).get("email") == "budi@hooks.test" for r in received)
        return {r["body"]["type"] for r in received} >= set(TOPICS) and budi and received

    received = wait_until(delivered, timeout=60, what=f"every topic of {TOPICS}, and Budi's contact, at the receiver")
    assert all(r["valid"] for r in received), [r["signature"] for r in received if not r["valid"]]
    by_topic = {r["body"]["type"]: r["body"]["data"] for r in received}
    assert by_topic["order.paid"]["order"]["id"] == order.json()["id"]
    assert by_topic["registration.created"]["order"]["registrants"][0]["email"] == "ana@hooks.test"
    assert by_topic["checkin.created"]
    assert any(r["body"]["data"].get("contact", {}).get("email") == "budi@hooks.test" for r in received)
    moves = [r["body"]["data"] for r in received if r["body"]["type"] == "contact.stage_changed"]
    assert {"email": "ana@hooks.test", "to": "engaged", "source": "rule:registered"} in [
        {"email": m["contact"]["email"], "to": m["change"]["to"], "source": m["change"]["source"]} for m in moves
    ]  # registering added the automatic "registered" label, whose rule moved her
