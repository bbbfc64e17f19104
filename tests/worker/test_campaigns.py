"""A campaign sent by the real huey_consumer, its two delivery jobs (each its part of the
recipients) running side by side: killed with kill -9 in the middle of sending, the restarted
consumer resumes both, and every recipient gets exactly one message (one Message-ID each, none
lost, none given two)."""

from __future__ import annotations

import collections
import re

import pytest
import requests

from tests.worker.conftest import wait_until
from webapp.campaigns import handover

pytestmark = pytest.mark.worker

RECIPIENTS = 1500


def test_a_campaign_whose_consumer_is_killed_mid_send_reaches_everyone_once(tier):
    # The tier is shared: work left due by earlier tests would hold the threads both parts need.
    wait_until(lambda: due_work(tier) == 0, timeout=300, interval=2, what="earlier work to finish")
    seeded = tier.seed(
        f"""
        import uuid
        from tests.campaigns.helpers import verified_domain
        from tests.factories.accounts import make_org, make_user
        from tests.factories.api import make_api_key
        from webapp.contacts.models import Contact, ContactLabel, Label
        from webapp.db import db, utcnow
        from webapp.contacts.rules import new_unsubscribe_token
        unique = uuid.uuid4().hex[:8]
        org = make_org(f"Campaign Org {{unique}}", owner=make_user(f"owner-{{unique}}@example.org"))
        verified_domain(org)
        label = Label.create(organization=org, name="Members")
        now = utcnow()
        with db.atomic():
            Contact.insert_many([
                dict(organization=org.id, email=f"member{{i}}-{{unique}}@kill.test", name=f"Member {{i}}",
                     unsubscribe_token=new_unsubscribe_token(), created_at=now, updated_at=now)
                for i in range({RECIPIENTS})
            ]).execute()
            ids = [c.id for c in Contact.select(Contact.id).where(Contact.organization == org.id)]
            ContactLabel.insert_many([dict(organization=org.id, contact=i, label=label.id, created_at=now) for i in ids]).execute()
        out.update(token=make_api_key(org)[1], label=label.id, unique=unique)
        """
    )
    headers = {"Authorization": f"Bearer {seeded['token']}"}
    created = requests.post(
        f"{tier.base_url}/v2/email-marketing/create-send",
        json={
            "name": "Doors open",
            "subject": "Hi {{ contact.first_name }}",
            "from_email": "hello@news.example.org",
            "body_html": "<p>Doors open at 8.</p>",
            "audience": {"include_labels": [seeded["label"]]},
        },
        headers=headers,
        timeout=30,
    )
    assert created.status_code == 201, created.text
    campaign_id = created.json()["id"]
    marker = f"<c{campaign_id}."

    def received():
        return [m for m in list(tier.inbox.messages) if (m["Message-ID"] or "").startswith(marker)]

    def parts(messages) -> set[int]:
        """The delivery parts (recipient id modulo 2) these messages came from."""
        return {int(re.match(r"<c\d+\.r(\d+)\.", m["Message-ID"]).group(1)) % 2 for m in messages}

    # Killed while both parts are being handed over (neither finished).
    at_kill = wait_until(
        lambda: (n := len(got := received())) < RECIPIENTS - 200 and parts(got) == {0, 1} and n,
        timeout=120,
        interval=0.02,
        what=lambda: f"both parts of the campaign to be under way ({len(received())} received)",
    )
    tier.worker.kill_hard()  # mid-batch: its jobs' work items stay leased, messages may be mid hand-over
    tier.start_worker()

    def state():
        answer = requests.get(f"{tier.base_url}/v2/email-marketing/{campaign_id}", headers=headers, timeout=30)
        return answer.json()["state"]

    wait_until(lambda: state() == "sent", timeout=240, interval=1, what=lambda: f"the campaign to be sent ({state()})")
    messages = received()
    ids_per_address = collections.defaultdict(set)
    for message in messages:
        ids_per_address[message["To"].addresses[0].addr_spec].add(message["Message-ID"])
    assert at_kill < RECIPIENTS
    assert len({m["Message-ID"] for m in messages}) == RECIPIENTS  # nobody lost
    assert len(ids_per_address) == RECIPIENTS
    assert all(len(ids) == 1 for ids in ids_per_address.values())  # nobody got two different messages
    # A message handed over as the worker died may arrive twice with its one Message-ID (the
    # server took it, the worker did not record it): per job, at most those in flight (one per
    # connection) and those finished but not yet written.
    assert len(messages) - RECIPIENTS <= 2 * (handover.CONNECTIONS + handover.RECORD_EVERY)
    report = requests.get(
        f"{tier.base_url}/v2/email-marketing/reports/basic",
        params={"campaign_id": campaign_id},
        headers=headers,
        timeout=30,
    ).json()
    assert (report["delivered"], report["queued"]) == (RECIPIENTS, 0)
    # The report's counters, kept through the kill and the resumed runs, equal a recount of the rows.
    counted = tier.seed(
        f"""
        from webapp.campaigns import tally
        out.update(counts=tally.counts({campaign_id}), recount=tally.recount({campaign_id}))
        """
    )
    assert counted["counts"] == counted["recount"] == {"sent": RECIPIENTS}


def due_work(tier) -> int:
    """Work items due now and not dead-lettered (running or waiting for a thread)."""
    found = tier.seed(
        """
        from webapp.db import utcnow
        from webapp.work.models import WorkItem
        out.update(n=WorkItem.select().where(WorkItem.dead_at.is_null() & (WorkItem.run_after <= utcnow())).count())
        """
    )
    return found["n"]
