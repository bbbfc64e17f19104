"""What a person waits for runs before bulk work, with the real worker: someone who registers while
a large import runs gets their ticket email before the import ends."""

from __future__ import annotations

import time

import pytest

from tests.worker.conftest import wait_until

pytestmark = pytest.mark.worker

IMPORT_ROWS = 3_000


def test_a_ticket_email_arrives_during_a_large_import_not_after_it(tier, org_setup):
    api = tier.api(org_setup["token"])
    # The tier is shared: bulk work left by earlier tests would run before this import starts.
    wait_until(lambda: bulk_left(tier) == 0, timeout=600, interval=3, what="earlier bulk work to finish")
    rows = "".join(f"Person {i},bulk-{i}@priority-import.test\n" for i in range(IMPORT_ROWS))
    job = api.post(
        f"/events/{org_setup['event']}/registrants/imports",
        json={"csv": "name,email\n" + rows, "product_id": org_setup["product"], "send_ticket": False},
    )
    assert job.status_code == 202, job.text
    job_id = job.json()["id"]
    wait_until(lambda: api.get(f"/imports/{job_id}").json()["processed"] > 0, timeout=60, what="the import to start")

    registered = time.monotonic()
    order = api.post(
        f"/events/{org_setup['event']}/registrants",
        json={
            "product_id": org_setup["product"],
            "send_ticket": True,
            "people": [{"name": "Rina", "email": "rina@waiting.test"}],
        },
    )
    assert order.status_code == 201, order.text
    wait_until(lambda: tier.inbox.to("rina@waiting.test"), timeout=60, what="the ticket email")
    took = time.monotonic() - registered
    assert bulk_left(tier) > 0, f"the import's bulk work was done before the email came ({took:.1f} s)"

    final = wait_until(
        lambda: (j := api.get(f"/imports/{job_id}").json())["state"] in ("done", "failed") and j,
        timeout=300,
        what="the import to finish",
    )
    assert final["state"] == "done" and final["created_rows"] == IMPORT_ROWS
    # The bulk work still finishes: every imported person reaches the Contact Book.
    wait_until(lambda: bulk_left(tier) == 0, timeout=600, interval=3, what="the import's bulk work to finish")
    synced = tier.seed(
        """
        from webapp.orders.models import Registrant
        out.update(n=Registrant.select().where(Registrant.email.endswith("@priority-import.test") & Registrant.contact.is_null(False)).count())
        """
    )
    assert synced["n"] == IMPORT_ROWS


def bulk_left(tier) -> int:
    """Bulk work items waiting or running (none dead-lettered is expected)."""
    found = tier.seed(
        """
        from webapp import work
        from webapp.work.models import WorkItem
        out.update(n=WorkItem.select().where(WorkItem.priority < work.URGENT).count())
        """
    )
    return found["n"]
