"""The race checks across two web nodes: two gunicorn masters on different ports, one database,
one queue and one worker (PostgreSQL and Redis when TEST_DATABASE_URL / TEST_HUEY_URL are set).
Buyers racing for the last seats and door staff scanning the same tickets are spread over both
nodes: no seat is sold twice, no ticket is admitted twice, and each buyer's ticket email and each
webhook arrives exactly once."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
import requests

from tests.smtp import free_port
from tests.worker.conftest import Process, wait_until

pytestmark = pytest.mark.worker

SEATS = 6
BUYERS = 16  # 8 per node


@pytest.fixture(scope="module")
def second_node(tier):
    port = free_port()
    env = dict(tier.env)  # the same settings as the first node (BASE_URL is the public address)
    argv = list(tier.web.argv)
    argv[argv.index("--bind") + 1] = f"127.0.0.1:{port}"
    node = Process("gunicorn (node 2)", argv, env, tier.tmp / "gunicorn-node2.log")
    node.start()
    url = f"http://127.0.0.1:{port}"

    def serving():
        assert node.alive(), node.tail()
        try:
            return requests.get(f"{url}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    wait_until(serving, timeout=60, what=f"the second node\n{node.tail()}")
    yield url
    node.stop()


@pytest.fixture
def rush(tier):
    """An event whose ticket type has SEATS seats, an API key without a tight rate limit and a
    webhook endpoint for new registrations and check-ins."""
    out = tier.seed(
        f"""
        import uuid
        from tests.factories.accounts import make_org, make_user
        from tests.factories.api import make_api_key
        from tests.factories.catalog import make_product
        from tests.factories.events import make_event
        from webapp.api import webhooks
        unique = uuid.uuid4().hex[:8]
        org = make_org(f"Rush {{unique}}", owner=make_user(f"owner-{{unique}}@rush.test"))
        event = make_event(org)
        product = make_product(event, name="Last seats", quota={SEATS})
        endpoint, secret = webhooks.create_endpoint(
            org.id, url={tier.receiver.url!r}, topics=["registration.created", "checkin.created"]
        )
        out.update(org=org.id, event=event.id, product=product.id, token=make_api_key(org, per_minute=100000)[1],
                   secret=secret, unique=unique)
        """
    )
    tier.receiver.secret = out["secret"]
    time.sleep(2.5)  # the processes' cached "does anyone listen?" answer (webhooks.SUBSCRIPTION_CACHE_SECONDS)
    return out


def _post(url: str, token: str, path: str, body: dict) -> requests.Response:
    return requests.post(f"{url}/api/v1{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def test_buyers_racing_over_two_nodes_never_get_more_seats_than_exist(tier, second_node, rush):
    nodes = [tier.base_url, second_node]
    answers: list[tuple[int, int, dict]] = []
    lock = threading.Lock()
    start = threading.Barrier(BUYERS)

    def buy(n: int):
        body = {
            "product_id": rush["product"],
            "send_ticket": True,
            "people": [{"name": f"Buyer {n}", "email": f"buyer{n}-{rush['unique']}@rush.test"}],
        }
        start.wait()
        answer = _post(nodes[n % 2], rush["token"], f"/events/{rush['event']}/registrants", body)
        with lock:
            answers.append((n % 2, answer.status_code, answer.json() if answer.content else {}))

    threads = [threading.Thread(target=buy, args=(n,)) for n in range(BUYERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    sold = [a for a in answers if a[1] == 201]
    assert len(answers) == BUYERS
    assert all(code in (201, 409, 422) for _, code, _ in answers), answers  # sold out is an answer, never a 500
    assert len(sold) == SEATS  # every seat sold once, none twice
    counted = tier.seed(
        f"""
        from webapp.orders.models import Registrant
        out["registrants"] = Registrant.select().where(Registrant.product == {rush["product"]}).count()
        """
    )
    assert counted["registrants"] == SEATS

    buyers = {a[2]["registrants"][0]["email"] for a in sold}

    def every_ticket_email():
        got = Counter(m["To"].addresses[0].addr_spec for m in tier.inbox.messages if "@rush.test" in str(m["To"]))
        return all(got[b] >= 1 for b in buyers) and got

    got = wait_until(every_ticket_email, timeout=60, what="a ticket email for every buyer")
    time.sleep(2)  # a duplicate would arrive about now
    got = Counter(m["Message-ID"] for m in tier.inbox.messages if any(b in str(m["To"]) for b in buyers))
    assert all(count == 1 for count in got.values()), got  # no email delivered twice

    def hooks():
        seen = [r for r in tier.receiver.received if r["body"]["type"] == "registration.created"]
        orders = Counter(r["body"]["data"]["order"]["id"] for r in seen)
        return set(orders) >= {a[2]["id"] for a in sold} and orders

    orders = wait_until(hooks, timeout=60, what="a registration.created webhook for every sale")
    assert all(count == 1 for count in orders.values()), orders


def test_door_staff_on_two_nodes_scanning_the_same_tickets_admit_each_once(tier, second_node, rush):
    tickets = tier.seed(
        f"""
        from tests.factories.orders import make_order
        from webapp.catalog.models import Product
        from webapp.events.models import Event
        from webapp.orders.models import Registrant
        event = Event.get_by_id({rush["event"]})
        Product.update(quota=None).where(Product.id == {rush["product"]}).execute()
        order = make_order(event, {{Product.get_by_id({rush["product"]}): 12}})
        out["secrets"] = [r.ticket_secret for r in Registrant.select().where(Registrant.order == order)]
        """
    )["secrets"]
    nodes = [tier.base_url, second_node]
    results: list[tuple[str, str]] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def gate(n: int):
        start.wait()
        for secret in tickets:  # gates 0/1 and 2/3: the same queue, on different nodes
            answer = _post(nodes[n % 2], rush["token"], f"/events/{rush['event']}/checkins", {"secret": secret})
            assert answer.status_code in (200, 201), answer.text
            with lock:
                results.append((secret, answer.json()["result"]))

    threads = [threading.Thread(target=gate, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    admitted = Counter(secret for secret, result in results if result == "ok")
    assert len(results) == 4 * len(tickets)
    assert set(admitted) == set(tickets) and all(count == 1 for count in admitted.values()), admitted
    logged = tier.seed(
        f"""
        from webapp.checkin.models import Checkin
        rows = Checkin.select().where((Checkin.event == {rush["event"]}) & (Checkin.result == "ok"))
        out["ok"] = rows.count()
        """
    )
    assert logged["ok"] == len(tickets)

    def hooks():
        seen = [r for r in tier.receiver.received if r["body"]["type"] == "checkin.created"]
        return len(seen) >= len(tickets) and seen

    wait_until(hooks, timeout=60, what="a checkin.created webhook per admission")
