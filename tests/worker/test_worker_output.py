"""What the task worker prints, as the Procfile runs it: each line once, and no line per task run."""

from __future__ import annotations

import pytest

from tests.worker.conftest import wait_until

pytestmark = pytest.mark.worker


def test_the_worker_says_each_thing_once_and_stays_quiet_between(tier, org_setup):
    api = tier.api(org_setup["token"])
    person = {"name": "Lina", "email": "lina@quiet.test"}
    order = api.post(
        f"/events/{org_setup['event']}/registrants",
        json={"product_id": org_setup["product"], "send_ticket": True, "people": [person]},
    )
    assert order.status_code == 201, order.text
    wait_until(lambda: tier.inbox.to("lina@quiet.test"), timeout=60, what="the ticket email")

    def sent_lines():
        return [line for line in tier.worker.log.read_text(errors="replace").splitlines() if "lina@quiet.test" in line]

    lines = wait_until(sent_lines, timeout=10, what="the worker's line about the email")
    assert len(lines) == 1, lines  # printed once, not once per handler
    log = tier.worker.log.read_text(errors="replace")
    assert "Executing" not in log and "executed in" not in log  # no line per task run
