"""Bulk "Resend tickets" from the console, sent by the real consumer, and a consumer killed mid-way."""

from __future__ import annotations

import collections
import re

import pytest

from tests.worker.conftest import wait_until

pytestmark = pytest.mark.worker

COUNT = 250  # more than the console's inline limit (200): the resend runs as a job


def _registrants(tier, org: dict, domain: str) -> list[str]:
    """COUNT paid registrants of the event (written directly: no ticket email is sent for them)."""
    seeded = tier.seed(
        f"""
        from tests.factories.orders import make_order
        from webapp.events.models import Event
        event = Event.get_by_id({org["event"]})
        people = [{{"name": f"Person {{n}}", "email": f"p{{n}}@{domain}"}} for n in range({COUNT})]
        for person in people:
            make_order(event, buyer_name=person["name"], buyer_email=person["email"], attendees=[person])
        out["emails"] = [p["email"] for p in people]
        """
    )
    return seeded["emails"]


def _resend_all(tier, org: dict) -> int:
    """Resend the tickets of every registrant from the console; returns the job's id."""
    console = tier.console(org["email"])
    answer = console.post(
        f"/console/events/{org['event']}/registrants/bulk",
        data={"action": "resend", "scope": "all"},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 200, answer.text[-2000:]
    return int(re.search(r'id="job-(\d+)"', answer.text).group(1))


def _recipient(message) -> str:
    return str(message["To"]).rsplit("<", 1)[-1].rstrip(">")


def _to(tier, domain: str) -> list:
    return [m for m in list(tier.inbox.messages) if _recipient(m).endswith(f"@{domain}")]


def _received(tier, domain: str) -> collections.Counter:
    """How many emails each address of `domain` received."""
    return collections.Counter(_recipient(m) for m in _to(tier, domain))


def test_resend_tickets_to_250_registrants_from_the_console_delivers_250_ticket_emails(tier, org_setup):
    emails = _registrants(tier, org_setup, "resend.test")
    _resend_all(tier, org_setup)
    wait_until(
        lambda: sum(_received(tier, "resend.test").values()) >= COUNT,
        timeout=120,
        what=lambda: f"{COUNT} ticket emails (got {sum(_received(tier, 'resend.test').values())})",
    )
    received = _received(tier, "resend.test")
    assert sorted(received) == sorted(emails)
    assert set(received.values()) == {1}  # each once
    tickets = _to(tier, "resend.test")
    assert all(any(part.get_content_type() == "application/pdf" for part in m.iter_attachments()) for m in tickets)


def test_a_consumer_killed_during_a_bulk_resend_loses_no_email(tier, org_setup):
    emails = _registrants(tier, org_setup, "killed.test")
    job_id = _resend_all(tier, org_setup)
    # The job has queued every email (a job killed half-way resumes only once its work item's
    # lease lapses); they are being sent when the consumer dies.
    console = tier.console(org_setup["email"])
    wait_until(lambda: console.job_state(job_id) == "done", timeout=60, what=f"bulk job {job_id} done")
    wait_until(lambda: sum(_received(tier, "killed.test").values()) >= 10, timeout=60, what="the first emails")
    tier.worker.kill_hard()
    sent_before = sum(_received(tier, "killed.test").values())
    assert sent_before < COUNT, "the resend finished before the consumer could be killed"

    tier.start_worker()
    # The killed consumer's work comes back when its lease lapses (ROLLCALL_WORK_LEASE_SECONDS),
    # found by the per-minute sweep.
    wait_until(
        lambda: set(_received(tier, "killed.test")) >= set(emails),
        timeout=150,
        interval=1,
        what=lambda: f"every one of {COUNT} emails after the restart (got {len(_received(tier, 'killed.test'))})",
    )
    received = _received(tier, "killed.test")
    # At most the batch in flight when the process died is sent twice (the SMTP server had it;
    # the outbox row was not yet marked sent).
    twice = [a for a, n in received.items() if n > 1]
    assert len(twice) <= 50, twice
