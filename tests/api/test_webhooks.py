"""Outgoing webhooks, received by a real local HTTP server that checks the signature."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.factories.catalog import make_product
from tests.factories.events import make_event
from webapp.api import webhooks
from webapp.api.models import WebhookAttempt, WebhookDelivery
from webapp.db import utcnow


class Receiver:
    """Answers each POST with the next status of `statuses` (then 200), verifying signatures."""

    def __init__(self):
        self.secret = ""
        self.statuses: list[int] = []
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signature = self.headers.get(webhooks.SIGNATURE_HEADER, "")
                receiver.received.append(
                    {
                        "body": json.loads(body),
                        "valid": webhooks.verify(receiver.secret, signature, body),
                        "signature": signature,
                    }
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"thanks" if status == 200 else b"oops")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


def _endpoint(org, receiver, topics):
    endpoint, secret = webhooks.create_endpoint(org.id, url=receiver.url, topics=topics)
    receiver.secret = secret
    return endpoint


def test_a_registration_is_delivered_signed(api, org, receiver):
    _endpoint(org, receiver, ["registration.created", "order.paid"])
    event = make_event(org)
    product = make_product(event)
    order = api.post(
        f"/events/{event.id}/registrants",
        {"product_id": product.id, "send_ticket": False, "people": [{"name": "Ana", "email": "ana@example.org"}]},
    ).json
    topics = sorted(r["body"]["type"] for r in receiver.received)
    assert topics == ["order.paid", "registration.created"]
    assert all(r["valid"] for r in receiver.received)
    body = receiver.received[0]["body"]
    assert body["data"]["order"]["id"] == order["id"]
    assert body["data"]["order"]["registrants"][0]["email"] == "ana@example.org"
    assert WebhookDelivery.select().where(WebhookDelivery.state == "succeeded").count() == 2


def test_a_signature_fails_with_another_secret_or_body_or_an_old_timestamp(org):
    body = b'{"id":"msg_1"}'
    header = webhooks.signature_header("whsec_right", body)
    assert webhooks.verify("whsec_right", header, body)
    assert not webhooks.verify("whsec_wrong", header, body)
    assert not webhooks.verify("whsec_right", header, body + b" ")
    old = webhooks.signature_header("whsec_right", body, timestamp=1_000_000)
    assert not webhooks.verify("whsec_right", old, body)


def test_a_failed_delivery_is_retried_with_backoff_and_logged(api, org, receiver):
    _endpoint(org, receiver, ["contact.updated"])
    receiver.statuses = [500]
    api.post("/contacts", {"email": "ana@example.org"})
    delivery = WebhookDelivery.get()
    assert (delivery.state, delivery.last_status, delivery.attempts) == ("pending", 500, 1)
    assert delivery.next_attempt_at > utcnow() + dt.timedelta(seconds=50)
    assert webhooks.deliver(delivery.id) == "skipped"  # not due yet
    WebhookDelivery.update(next_attempt_at=utcnow()).where(WebhookDelivery.id == delivery.id).execute()
    assert webhooks.deliver(delivery.id) == "succeeded"
    codes = [a.status_code for a in WebhookAttempt.select().order_by(WebhookAttempt.id)]
    assert codes == [500, 200]
    assert len(receiver.received) == 2
    assert receiver.received[0]["body"]["id"] == receiver.received[1]["body"]["id"]
    assert all(r["valid"] for r in receiver.received)


def test_an_unreachable_endpoint_gives_up_after_the_last_try(org):
    endpoint, _ = webhooks.create_endpoint(org.id, url="http://127.0.0.1:9/nothing", topics=["contact.updated"])
    (delivery_id,) = webhooks.enqueue(org.id, "contact.updated", {"contact": {"id": 1}})  # first try at once
    for _ in range(webhooks.MAX_ATTEMPTS + 2):
        WebhookDelivery.update(next_attempt_at=utcnow()).where(WebhookDelivery.id == delivery_id).execute()
        webhooks.deliver(delivery_id)
    delivery = WebhookDelivery.get_by_id(delivery_id)
    assert delivery.state == "failed"
    assert delivery.last_status is None and "Error" in delivery.last_error
    assert WebhookAttempt.select().count() == webhooks.MAX_ATTEMPTS


def test_only_subscribed_topics_of_the_organization_are_sent(api, org, other_api, receiver):
    _endpoint(org, receiver, ["order.paid"])
    api.post("/contacts", {"email": "ana@example.org"})
    other_api.post("/contacts", {"email": "bob@example.org"})
    assert receiver.received == []


def test_webhook_urls_must_be_http(org):
    with pytest.raises(webhooks.WebhookError):
        webhooks.create_endpoint(org.id, url="ftp://example.org/x", topics=["order.paid"])
    with pytest.raises(webhooks.WebhookError):
        webhooks.create_endpoint(org.id, url="https://example.org/x", topics=[])
