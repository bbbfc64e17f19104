"""A workflow run by the real consumer: a contact labelled over the API enters it, waits a minute,
and gets the email and the signed webhook call — once, though the consumer was killed (-9) during
the wait and started again."""

from __future__ import annotations

import time

import pytest

from tests.worker.conftest import wait_until
from webapp.workflows import triggers

pytestmark = pytest.mark.worker

ADDRESS = "wanda@workflow-restart.test"


def _run(tier, workflow_id: int) -> dict:
    return tier.seed(
        f"""
        from webapp.mail.models import Outbox
        from webapp.workflows.models import WorkflowRun
        runs = list(WorkflowRun.select().where(WorkflowRun.workflow == {workflow_id}))
        out.update(
            runs=[(r.state, r.step_index, [h["outcome"] for h in r.history]) for r in runs],
            outbox=Outbox.select().where(Outbox.to_email == "{ADDRESS}").count(),
        )
        """
    )


def test_a_workflow_wait_survives_a_killed_consumer_and_its_actions_happen_once(tier, org_setup):
    org = org_setup
    seeded = tier.seed(
        f"""
        from tests.workflows.helpers import make_template
        from tests.factories.contacts import make_label
        from webapp.api import webhooks
        from webapp.events.models import Event
        from webapp.workflows import service
        event = Event.get_by_id({org["event"]})
        template = make_template(event, subject="Still with us, {{{{ attendee.first_name }}}}?")
        trial = make_label(event.organization, "Trial")
        workflow = service.create_workflow(
            event.organization_id,
            name="Trial follow-up",
            trigger={{"kind": "label_added", "label_id": trial.id}},
            steps=[
                {{"kind": "wait", "amount": 1, "unit": "minutes"}},
                {{"kind": "send_email", "template_id": template.id}},
                {{"kind": "webhook", "name": "trial-follow-up"}},
            ],
        )
        service.activate(workflow)
        endpoint, secret = webhooks.create_endpoint(
            event.organization_id, url="{tier.receiver.url}", topics=["workflow.step"]
        )
        out.update(workflow=workflow.id, secret=secret)
        """
    )
    tier.receiver.secret = seeded["secret"]
    # The consumer learns within CACHE_SECONDS that some workflow now listens to label changes.
    time.sleep(triggers.CACHE_SECONDS + 1)
    api = tier.api(org["token"])
    contact = api.post("/contacts", json={"email": ADDRESS, "name": "Wanda Wijaya"})
    assert contact.status_code in (200, 201), contact.text
    labelled = api.post(f"/contacts/{contact.json()['id']}/labels", json={"add": ["Trial"]})
    assert labelled.status_code == 200, labelled.text

    waiting = wait_until(
        lambda: (run := _run(tier, seeded["workflow"]))["runs"] and run["runs"][0][0] == "waiting" and run,
        timeout=60,
        interval=1,
        what="the run to reach its wait",
    )
    assert waiting["outbox"] == 0
    tier.worker.kill_hard()  # during the wait: its delayed work item is all that remembers the run
    tier.start_worker()

    done = wait_until(
        lambda: (run := _run(tier, seeded["workflow"]))["runs"][0][0] == "done" and run,
        timeout=240,
        interval=2,
        what="the run to finish after the restart",
    )
    messages = wait_until(lambda: tier.inbox.to(ADDRESS), timeout=60, what="the workflow's email")
    time.sleep(3)  # anything sent twice would be on its way by now

    messages = tier.inbox.to(ADDRESS)
    assert len({m["Message-ID"] for m in messages}) == len(messages) == 1
    assert messages[0]["Subject"] == "Still with us, Wanda?"
    assert done["outbox"] == 1
    assert done["runs"][0][2] == ["started", "waiting", "email_queued", "webhook", "finished"]
    posts = [
        r
        for r in tier.receiver.received
        if r["body"].get("type") == "workflow.step" and r["body"]["data"]["contact"]["email"] == ADDRESS
    ]
    assert len(posts) == 1
    assert posts[0]["body"]["data"]["workflow"]["step_name"] == "trial-follow-up"
    assert posts[0]["valid"]  # signed with the endpoint's secret
