"""A contact runs a workflow once unless re-entry is allowed; a paused workflow starts no runs and
holds its runs, which move on when it is active again; workflows see only their organization; bad
definitions are refused with the field at fault."""

from __future__ import annotations

import pytest

from tests.factories.accounts import make_org
from tests.factories.contacts import make_contact, make_label
from tests.factories.events import make_event
from tests.segments.helpers import group
from tests.workflows.helpers import later, make_template, make_workflow, move_on, runs_of
from webapp.contacts import service as contacts
from webapp.contacts.models import Contact
from webapp.segments import service as segments
from webapp.segments.models import Segment
from webapp.workflows import runs, service, triggers
from webapp.workflows.definition import WorkflowInvalid
from webapp.workflows.models import Workflow

ONE_STEP = [{"kind": "set_stage", "stage": "engaged"}]


def _again(contact, name="Trial"):
    contacts.remove_label(Contact.get_by_id(contact.id), name)
    contacts.add_label(Contact.get_by_id(contact.id), name)


def test_a_contact_runs_a_workflow_once_without_reentry(org):
    trial = make_label(org, "Trial")
    workflow = make_workflow(org, {"kind": "label_added", "label_id": trial.id}, ONE_STEP)
    ana = make_contact(org, "ana@example.org")
    contacts.add_label(ana, "Trial")
    _again(ana)
    _again(ana)
    assert [(r.number, r.state) for r in runs_of(workflow)] == [(1, "done")]


def test_with_reentry_each_entry_is_a_new_numbered_run_but_never_two_at_once(org):
    trial = make_label(org, "Trial")
    steps = [{"kind": "wait", "amount": 1, "unit": "days"}, *ONE_STEP]
    workflow = make_workflow(org, {"kind": "label_added", "label_id": trial.id}, steps, allow_reentry=True)
    ana = make_contact(org, "ana@example.org")
    contacts.add_label(ana, "Trial")
    _again(ana)  # still waiting in run 1: no second run alongside
    assert [(r.number, r.state) for r in runs_of(workflow)] == [(1, "waiting")]

    move_on(later(days=2))
    _again(ana)
    assert [(r.number, r.state) for r in runs_of(workflow)] == [(1, "done"), (2, "waiting")]


def test_reentry_that_the_workflow_sets_off_itself_stops_after_a_days_limit(org):
    trial = make_label(org, "Trial")
    steps = [{"kind": "remove_label", "label_id": trial.id}, {"kind": "add_label", "label_id": trial.id}]
    workflow = make_workflow(org, {"kind": "label_added", "label_id": trial.id}, steps, allow_reentry=True)
    contacts.add_label(make_contact(org), "Trial")
    assert len(runs_of(workflow)) == runs.MAX_ENTRIES_PER_DAY


def test_a_paused_workflow_starts_no_runs_and_holds_its_runs_until_resumed(org):
    trial = make_label(org, "Trial")
    steps = [{"kind": "wait", "amount": 1, "unit": "hours"}, *ONE_STEP]
    workflow = make_workflow(org, {"kind": "label_added", "label_id": trial.id}, steps)
    ana = make_contact(org, "ana@example.org")
    contacts.add_label(ana, "Trial")

    assert service.pause(workflow)
    contacts.add_label(make_contact(org, "budi@example.org"), "Trial")
    assert move_on(later(hours=2)) == ["paused"]
    assert Contact.get_by_id(ana.id).stage == "aware"
    assert [r.contact_id for r in runs_of(workflow)] == [ana.id]

    assert service.activate(Workflow.get_by_id(workflow.id)) == 1  # the held run is moved on
    assert move_on(later(hours=2)) == ["done"]
    assert Contact.get_by_id(ana.id).stage == "engaged"


def test_resuming_before_the_wait_is_over_keeps_the_wait(org):
    trial = make_label(org, "Trial")
    steps = [{"kind": "wait", "amount": 1, "unit": "days"}, *ONE_STEP]
    workflow = make_workflow(org, {"kind": "label_added", "label_id": trial.id}, steps)
    ana = make_contact(org, "ana@example.org")
    contacts.add_label(ana, "Trial")
    service.pause(workflow)
    service.activate(Workflow.get_by_id(workflow.id))

    assert move_on(later(hours=1)) == ["early"]
    assert move_on(later(days=1, minutes=1)) == ["done"]


def test_workflows_of_one_organization_never_see_another_ones_contacts(org):
    other = make_org()
    mine = make_label(org, "Trial")
    theirs = make_label(other, "Trial")
    workflow = make_workflow(org, {"kind": "label_added", "label_id": mine.id}, ONE_STEP)

    contacts.add_label(make_contact(other, "ana@example.org"), "Trial")

    assert runs_of(workflow) == []
    assert runs.start(workflow, make_contact(other, "budi@example.org")) is None
    assert [wf.id for wf, _ in service.workflows_of(other.id)] == []
    with pytest.raises(WorkflowInvalid) as refused:
        service.create_workflow(org.id, name="X", trigger={"kind": "label_added", "label_id": theirs.id}, steps=[])
    assert refused.value.errors == {"trigger.label_id": "Choose one of your labels."}


@pytest.mark.parametrize(
    ("trigger", "steps", "errors"),
    [
        ('{"kind": "label_added", ', [], {"trigger": "This is not valid JSON."}),
        ("[1, 2]", [], {"trigger": "Choose what starts the workflow."}),
        ({"kind": "birthday"}, [], {"trigger.kind": "Choose what starts the workflow."}),
        ({"kind": "stage_changed", "to": "royalty"}, [], {"trigger.to": "Choose a funnel stage."}),
        (
            {"kind": "tracked_event", "type": "purchase", "status": "a\x00b"},
            [],
            {"trigger.status": "Enter text without NUL characters or lone surrogates."},
        ),
        (
            {"kind": "tracked_event", "type": "purchase", "properties": {"x": float("nan")}},
            [],
            {"trigger.properties": "Enter a text."},
        ),
        ({"kind": "stage_changed", "to": "", "extra": 1}, [], {"trigger": "Unknown key extra."}),
        (
            {"kind": "stage_changed"},
            [{"kind": "wait", "amount": 0, "unit": "days"}],
            {"steps.0.amount": "Enter a whole number from 1 to 365."},
        ),
        (
            {"kind": "stage_changed"},
            [{"kind": "wait", "amount": 10**30, "unit": "minutes"}],
            {"steps.0.amount": "Enter a whole number from 1 to 525600."},
        ),
        (
            {"kind": "stage_changed"},
            [{"kind": "wait", "amount": 2, "unit": "weeks"}],
            {"steps.0.unit": "Choose minutes, hours or days."},
        ),
        (
            {"kind": "stage_changed"},
            [{"kind": "send_email", "template_id": 999999}],
            {"steps.0.template_id": "Choose one of your email templates."},
        ),
        ({"kind": "stage_changed"}, "[" * 5000 + "]" * 5000, {"steps": "This is not valid JSON."}),
        ({"kind": "stage_changed"}, [{"kind": "jump"}], {"steps.0.kind": "Choose what this step does."}),
        ({"kind": "stage_changed"}, [{}] * 31, {"steps": "At most 30 steps."}),
    ],
)
def test_bad_definitions_are_refused_with_the_field_at_fault(org, trigger, steps, errors):
    with pytest.raises(WorkflowInvalid) as refused:
        service.create_workflow(org.id, name="Welcome", trigger=trigger, steps=steps)
    assert refused.value.errors == errors
    assert Workflow.select().count() == 0


def test_a_segment_or_template_of_another_organization_is_refused(org):
    other = make_org()
    their_segment = segments.create_segment(other.id, name="Theirs", tree=group())
    their_template = make_template(make_event(other))
    with pytest.raises(WorkflowInvalid) as refused:
        service.create_workflow(
            org.id,
            name="",
            trigger={"kind": "segment_entered", "segment_id": their_segment.id},
            steps=[{"kind": "send_email", "template_id": their_template.id}],
        )
    assert refused.value.errors == {
        "name": "Give the workflow a name.",
        "trigger.segment_id": "Choose one of your segments.",
        "steps.0.template_id": "Choose one of your email templates.",
    }


def test_changing_a_segment_trigger_starts_the_membership_record_over(org):
    first = segments.create_segment(org.id, name="A", tree=group())
    second = segments.create_segment(org.id, name="B", tree=group())
    make_contact(org)
    workflow = make_workflow(org, {"kind": "segment_entered", "segment_id": first.id}, ONE_STEP)
    triggers.scan_segment(workflow.id)
    assert Workflow.get_by_id(workflow.id).segment_checked_at is not None
    service.update_workflow(
        Workflow.get_by_id(workflow.id),
        name="Welcome",
        trigger={"kind": "segment_entered", "segment_id": second.id},
        steps=ONE_STEP,
    )
    assert Workflow.get_by_id(workflow.id).segment_checked_at is None
    assert triggers.scan_segment(workflow.id) == 0  # a new starting point, not a flood of runs
    assert runs_of(workflow) == []


def test_a_segment_a_workflow_uses_cannot_be_deleted(org):
    started_by = segments.create_segment(org.id, name="Starts", tree=group())
    checked_by = segments.create_segment(org.id, name="Checks", tree=group())
    free = segments.create_segment(org.id, name="Free", tree=group())
    make_workflow(org, {"kind": "segment_entered", "segment_id": started_by.id}, [], name="Welcome")
    steps = [{"kind": "condition", "check": "in_segment", "segment_id": checked_by.id}]
    make_workflow(org, {"kind": "stage_changed", "to": ""}, steps, name="Upsell", active=False)

    for segment, name in ((started_by, "Welcome"), (checked_by, "Upsell")):
        with pytest.raises(segments.SegmentError) as refused:
            segments.delete_segment(segment)
        assert str(refused.value) == f"These workflows use it: {name}."
    segments.delete_segment(free)
    assert {s.name for s in Segment.select()} == {"Starts", "Checks"}
