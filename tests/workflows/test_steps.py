"""A run's steps: waits are honoured (a run moves on only once its time has come), a condition not
met ends the run, and each action does what it says — the email through the outbox and SMTP (not to
a contact who unsubscribed), the labels, the stage, the signed webhook — with every step on the
contact's timeline."""

from __future__ import annotations

import pytest

from tests.api.test_webhooks import Receiver
from tests.factories.contacts import make_contact, make_label
from tests.factories.events import make_event
from tests.segments.helpers import cond, group
from tests.workflows.helpers import later, make_template, make_workflow, move_on, pending_steps, runs_of
from webapp.api import webhooks
from webapp.contacts import service as contacts
from webapp.contacts.models import Activity, Contact
from webapp.mail.models import EmailTemplate, Outbox
from webapp.segments import service as segments
from webapp.workflows.models import WorkflowRun


def _labels(contact) -> set[str]:
    return {label.name for label in contacts.labels_of(Contact.get_by_id(contact.id))}


def _run(workflow) -> WorkflowRun:
    [run] = runs_of(workflow)
    return run


def test_a_wait_holds_the_run_until_its_time_and_the_next_step_runs_once(org):
    trial = make_label(org, "Trial")
    nudged = make_label(org, "Nudged")
    steps = [{"kind": "wait", "amount": 2, "unit": "days"}, {"kind": "add_label", "label_id": nudged.id}]
    workflow = make_workflow(org, {"kind": "label_added", "label_id": trial.id}, steps)
    ana = make_contact(org, "ana@example.org")

    contacts.add_label(ana, "Trial")
    run = _run(workflow)
    assert (run.state, run.step_index) == ("waiting", 1)
    assert pending_steps() == 1  # the delayed work item that moves it on

    assert move_on(later(days=1, hours=23)) == ["early"]
    assert "Nudged" not in _labels(ana)
    assert move_on(later(days=2, minutes=1)) == ["done"]
    assert _labels(ana) == {"Trial", "Nudged"}
    assert move_on(later(days=3)) == []  # done: nothing moves it again
    assert _run(workflow).state == "done"


def test_a_condition_not_met_after_the_wait_ends_the_run(org):
    trial = make_label(org, "Trial")
    paid = make_label(org, "Customer")
    reminded = make_label(org, "Reminded")
    steps = [
        {"kind": "wait", "amount": 3, "unit": "hours"},
        {"kind": "condition", "check": "has_label", "label_id": trial.id},
        {"kind": "add_label", "label_id": reminded.id},
    ]
    make_workflow(org, {"kind": "label_added", "label_id": trial.id}, steps)
    stays = make_contact(org, "stays@example.org")
    leaves = make_contact(org, "leaves@example.org")
    contacts.add_label(stays, "Trial")
    contacts.add_label(leaves, "Trial")
    contacts.remove_label(leaves, "Trial")
    contacts.add_label(leaves, paid.name)

    assert move_on(later(hours=4)) == ["done", "exited"]
    assert "Reminded" in _labels(stays)
    assert "Reminded" not in _labels(leaves)
    exited = WorkflowRun.get(WorkflowRun.contact == leaves.id)
    assert exited.history[-1]["outcome"] == "condition_not_met"


def test_a_segment_condition_checks_membership_when_the_step_is_reached(org):
    vip = make_label(org, "VIP")
    gift = make_label(org, "Gift")
    segment = segments.create_segment(org.id, name="VIPs", tree=group(cond("labels", "any_of", [vip.id])))
    steps = [
        {"kind": "condition", "check": "in_segment", "segment_id": segment.id},
        {"kind": "add_label", "label_id": gift.id},
    ]
    workflow = make_workflow(org, {"kind": "stage_changed", "to": ""}, steps)
    ana = make_contact(org, "ana@example.org")
    budi = make_contact(org, "budi@example.org")
    contacts.add_label(ana, "VIP")

    contacts.set_stage(ana, "engaged", source="person")
    contacts.set_stage(budi, "engaged", source="person")

    assert {r.contact_id: r.state for r in runs_of(workflow)} == {ana.id: "done", budi.id: "exited"}
    assert "Gift" in _labels(ana) and "Gift" not in _labels(budi)


def test_removing_a_label_and_setting_the_stage_are_done(org):
    trial = make_label(org, "Trial")
    steps = [{"kind": "remove_label", "label_id": trial.id}, {"kind": "set_stage", "stage": "customer"}]
    workflow = make_workflow(org, {"kind": "label_added", "label_id": trial.id}, steps)
    ana = make_contact(org, "ana@example.org")

    contacts.add_label(ana, "Trial")

    assert _run(workflow).state == "done"
    ana = Contact.get_by_id(ana.id)
    assert _labels(ana) == set()
    assert (ana.stage, ana.stage_source) == ("customer", f"workflow:{workflow.id}")


def test_every_step_is_on_the_contacts_timeline(org):
    trial = make_label(org, "Trial")
    done = make_label(org, "Onboarded")
    steps = [{"kind": "wait", "amount": 30, "unit": "minutes"}, {"kind": "add_label", "label_id": done.id}]
    make_workflow(org, {"kind": "label_added", "label_id": trial.id}, steps, name="Onboarding")
    ana = make_contact(org, "ana@example.org")
    contacts.add_label(ana, "Trial")
    move_on(later(minutes=31))

    entries = [
        a.summary
        for a in Activity.select()
        .where((Activity.contact == ana.id) & (Activity.kind == "workflow"))
        .order_by(Activity.id)
    ]
    assert entries == [
        "Workflow “Onboarding”: started",
        "Workflow “Onboarding”: waiting 30 minutes",
        "Workflow “Onboarding”: step 2: add label (label Onboarded)",
        "Workflow “Onboarding”: finished",
    ]
    assert Contact.get_by_id(ana.id).last_activity_at is None  # not the person's own activity


def test_the_email_step_sends_the_template_rendered_for_the_contact_through_smtp(mail_app, mail_org):
    _, inbox = mail_app
    org = mail_org
    event = make_event(org, name="Jakarta Tech Summit")
    template = make_template(event)
    trial = make_label(org, "Trial")
    workflow = make_workflow(
        org, {"kind": "label_added", "label_id": trial.id}, [{"kind": "send_email", "template_id": template.id}]
    )
    ana = make_contact(org, "ana@example.org", name="Ana Putri")

    contacts.add_label(ana, "Trial")

    [message] = inbox.wait_for(1)
    assert message["Subject"] == "Hello Ana"
    assert message["To"] == "Ana Putri <ana@example.org>"
    assert "Hi Ana Putri, about Jakarta Tech Summit." in message.get_body(("plain",)).get_content()
    assert message["List-Unsubscribe"]
    outbox = Outbox.get()
    assert (outbox.kind, outbox.send_key, outbox.contact_id) == ("workflow", f"workflow:{workflow.id}", ana.id)
    assert _run(workflow).history[-2]["outcome"] == "email_queued"


def test_the_email_step_skips_a_contact_who_unsubscribed(mail_app, mail_org):
    _, inbox = mail_app
    org = mail_org
    template = make_template(make_event(org))
    trial = make_label(org, "Trial")
    workflow = make_workflow(
        org, {"kind": "label_added", "label_id": trial.id}, [{"kind": "send_email", "template_id": template.id}]
    )
    ana = make_contact(org, "ana@example.org")
    contacts.unsubscribe(ana)

    contacts.add_label(Contact.get_by_id(ana.id), "Trial")

    assert Outbox.get().state == "skipped"
    assert _run(workflow).state == "done"
    assert _run(workflow).history[-2]["outcome"] == "email_skipped"
    assert inbox.messages == []


def test_a_template_deleted_meanwhile_fails_the_run_with_the_reason(org):
    template = make_template(make_event(org))
    trial = make_label(org, "Trial")
    steps = [{"kind": "wait", "amount": 1, "unit": "hours"}, {"kind": "send_email", "template_id": template.id}]
    workflow = make_workflow(org, {"kind": "label_added", "label_id": trial.id}, steps)
    contacts.add_label(make_contact(org), "Trial")
    EmailTemplate.delete().execute()

    assert move_on(later(hours=2)) == ["failed"]
    assert _run(workflow).history[-1] == {
        **_run(workflow).history[-1],
        "outcome": "failed",
        "detail": "The email template no longer exists.",
    }
    assert Outbox.select().count() == 0


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


def test_the_webhook_step_posts_a_signed_message_to_subscribed_endpoints(org, receiver):
    endpoint, receiver.secret = webhooks.create_endpoint(org.id, url=receiver.url, topics=["workflow.step"])
    trial = make_label(org, "Trial")
    workflow = make_workflow(
        org,
        {"kind": "label_added", "label_id": trial.id},
        [{"kind": "webhook", "name": "trial started"}],
        name="CRM sync",
    )
    ana = make_contact(org, "ana@example.org")

    contacts.add_label(ana, "Trial")

    [post] = receiver.received
    assert post["valid"]
    body = post["body"]
    assert body["type"] == "workflow.step"
    assert body["data"]["contact"]["email"] == "ana@example.org"
    assert body["data"]["workflow"] == {
        "id": workflow.id,
        "name": "CRM sync",
        "run_id": _run(workflow).id,
        "run_number": 1,
        "step": 1,
        "step_name": "trial started",
    }
