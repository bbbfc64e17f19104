"""Event ingestion updating contacts, and automation emails sent by the consumer's periodic run."""

from __future__ import annotations

import pytest

from tests.worker.conftest import wait_until

pytestmark = pytest.mark.worker


def test_ingested_events_reach_the_contact_timeline_and_its_labels(tier, org_setup):
    org = org_setup
    tier.seed(
        f"""
        from webapp.contacts import ingest
        ingest.create_tag_rule({org["org"]}, event_type="purchase", property_name="plan", property_value="pro",
                               action="add", label="Pro customer")
        """
    )
    api = tier.api(org["token"])
    events = [
        {"type": "signup", "email": "dewi@ingest.test"},
        {"type": "purchase", "email": "dewi@ingest.test", "properties": {"plan": "pro"}},
        {"type": "purchase", "email": "eko@ingest.test", "properties": {"plan": "basic"}},
    ]
    sent = api.post("/client/events/bulk", json={"events": events})
    assert sent.status_code == 202, sent.text

    def contact(email: str):
        listed = api.get("/contacts", params={"email": email}).json()["data"]
        return listed and api.get(f"/contacts/{listed[0]['id']}").json()

    def dewi_labelled():
        found = contact("dewi@ingest.test")
        return found and found["labels"] == ["Pro customer"] and found

    dewi = wait_until(dewi_labelled, timeout=30, what="dewi's contact with the label of the rule")
    assert {"signup", "purchase"} <= {entry["kind"] for entry in dewi["timeline"]}
    eko = wait_until(lambda: contact("eko@ingest.test"), timeout=30, what="eko's contact")
    assert eko["labels"] == []
    processed = api.get("/public/authenticated/events/incoming", params={"status": "processed"}).json()["data"]
    assert {e["id"] for e in sent.json()["events"]} <= {e["id"] for e in processed}


def test_a_reminder_due_now_is_sent_by_the_periodic_run(tier, org_setup):
    org = org_setup
    tier.seed(
        f"""
        import datetime as dt
        from tests.factories.orders import make_order
        from webapp.db import utcnow
        from webapp.events.models import Event
        from webapp.mail import automations
        event = Event.get_by_id({org["event"]})
        Event.update(starts_at=utcnow() + dt.timedelta(minutes=30), ends_at=utcnow() + dt.timedelta(hours=3)).where(
            Event.id == event.id
        ).execute()
        for n in range(3):
            make_order(event, attendees=[{{"name": f"Soon {{n}}", "email": f"soon{{n}}@remind.test"}}])
        automations.create_automation(event, name="Starts soon", trigger="before_start", delay_minutes=60, actor=None)
        """
    )

    def reminded():
        return sorted(str(m["To"]) for m in list(tier.inbox.messages) if "@remind.test" in str(m["To"]))

    # The run is once a minute: wait a little longer than that.
    received = wait_until(lambda: len(reminded()) >= 3 and reminded(), timeout=75, interval=1, what="3 reminders")
    assert len(received) == 3
    messages = [m for m in list(tier.inbox.messages) if "@remind.test" in str(m["To"])]
    assert all(m["Subject"].startswith("Reminder:") for m in messages), [m["Subject"] for m in messages]
