"""Each kind of trigger starts a run: a label added or removed, a funnel stage move, a tracked event
matching type, action, status and properties, and a contact entering a segment (at once after a
change, or found by the periodic scan when time alone puts them in)."""

from __future__ import annotations

from tests.factories.contacts import make_contact, make_label
from tests.segments.helpers import cond, group
from tests.workflows.helpers import later, make_workflow, runs_of
from webapp.contacts import ingest
from webapp.contacts import service as contacts
from webapp.contacts.models import Contact
from webapp.segments import service as segments
from webapp.workflows import triggers


def _labels(contact: Contact) -> set[str]:
    return {label.name for label in contacts.labels_of(Contact.get_by_id(contact.id))}


def test_adding_a_label_starts_the_workflow_and_its_action_runs(org):
    trial = make_label(org, "Trial")
    welcomed = make_label(org, "Welcomed")
    workflow = make_workflow(
        org, {"kind": "label_added", "label_id": trial.id}, [{"kind": "add_label", "label_id": welcomed.id}]
    )
    ana = make_contact(org, "ana@example.org")
    budi = make_contact(org, "budi@example.org")

    contacts.add_label(ana, "Trial")
    contacts.add_label(budi, "Someone else")

    [run] = runs_of(workflow)
    assert (run.contact_id, run.state) == (ana.id, "done")
    assert _labels(ana) == {"Trial", "Welcomed"}
    assert "Welcomed" not in _labels(budi)


def test_removing_a_label_starts_the_workflow(org):
    trial = make_label(org, "Trial")
    lapsed = make_label(org, "Lapsed")
    workflow = make_workflow(
        org, {"kind": "label_removed", "label_id": trial.id}, [{"kind": "add_label", "label_id": lapsed.id}]
    )
    ana = make_contact(org, "ana@example.org")
    contacts.add_label(ana, "Trial")
    assert runs_of(workflow) == []

    contacts.remove_label(ana, "Trial")

    assert [r.state for r in runs_of(workflow)] == ["done"]
    assert _labels(ana) == {"Lapsed"}


def test_a_label_added_in_bulk_by_a_tag_rule_starts_the_workflow(org):
    vip = make_label(org, "VIP")
    noted = make_label(org, "Noted")
    workflow = make_workflow(
        org, {"kind": "label_added", "label_id": vip.id}, [{"kind": "add_label", "label_id": noted.id}]
    )
    ingest.create_tag_rule(
        org.id, event_type="purchase", property_name="plan", property_value="pro", action="add", label="VIP"
    )

    ingest.accept(org.id, [{"type": "purchase", "email": "cita@example.org", "properties": {"plan": "pro"}}])

    [run] = runs_of(workflow)
    assert run.state == "done"
    assert _labels(run.contact) == {"VIP", "Noted"}


def test_a_stage_move_starts_the_workflow_only_for_the_stage_it_names(org):
    thanks = make_label(org, "Thanked")
    workflow = make_workflow(
        org, {"kind": "stage_changed", "to": "customer"}, [{"kind": "add_label", "label_id": thanks.id}]
    )
    ana = make_contact(org, "ana@example.org")
    budi = make_contact(org, "budi@example.org")

    contacts.set_stage(ana, "customer", source="person")
    contacts.set_stage(budi, "engaged", source="person")

    assert [r.contact_id for r in runs_of(workflow)] == [ana.id]
    assert runs_of(workflow)[0].trigger_data == {"stage": "customer"}


def test_a_tracked_event_matching_type_action_status_and_properties_starts_the_workflow(org):
    paid = make_label(org, "Paid pro")
    trigger = {
        "kind": "tracked_event",
        "type": "purchase",
        "action": "checkout",
        "status": "paid",
        "properties": {"plan": "pro"},
    }
    workflow = make_workflow(org, trigger, [{"kind": "add_label", "label_id": paid.id}])
    good = {"action": "checkout", "status": "paid", "plan": "pro"}

    ingest.accept(
        org.id,
        [
            {"type": "purchase", "email": "yes@example.org", "properties": good},
            {"type": "purchase", "email": "status@example.org", "properties": {**good, "status": "failed"}},
            {"type": "purchase", "email": "plan@example.org", "properties": {**good, "plan": "basic"}},
            {"type": "purchase", "email": "noaction@example.org", "properties": {"status": "paid", "plan": "pro"}},
            {"type": "signup", "email": "type@example.org", "properties": good},
        ],
    )

    started = runs_of(workflow)
    assert [r.contact.email for r in started] == ["yes@example.org"]
    assert started[0].trigger_data["type"] == "purchase"
    assert _labels(started[0].contact) == {"Paid pro"}


def test_a_contact_who_gets_into_the_segment_enters_at_once_and_those_already_in_do_not(org):
    vip = make_label(org, "VIP")
    hello = make_label(org, "Hello")
    segment = segments.create_segment(org.id, name="VIPs", tree=group(cond("labels", "any_of", [vip.id])))
    already = make_contact(org, "already@example.org")
    contacts.add_label(already, "VIP")
    workflow = make_workflow(
        org, {"kind": "segment_entered", "segment_id": segment.id}, [{"kind": "add_label", "label_id": hello.id}]
    )

    assert triggers.scan_segment(workflow.id) == 0  # the first scan records who is in: no runs
    newcomer = make_contact(org, "new@example.org")
    contacts.add_label(newcomer, "VIP")

    assert [r.contact_id for r in runs_of(workflow)] == [newcomer.id]
    assert _labels(newcomer) == {"VIP", "Hello"}
    assert "Hello" not in _labels(already)
    assert triggers.scan_segment(workflow.id) == 0  # the scan finds no one new


def test_the_periodic_scan_finds_contacts_whom_time_put_in_the_segment(org):
    old = make_label(org, "Old hand")
    tree = group(group(cond("created", "within_days", 7), negate=True))
    segment = segments.create_segment(org.id, name="Week old", tree=tree)
    workflow = make_workflow(
        org, {"kind": "segment_entered", "segment_id": segment.id}, [{"kind": "add_label", "label_id": old.id}]
    )
    ana = make_contact(org, "ana@example.org")
    assert triggers.scan_segment(workflow.id) == 0

    assert triggers.scan_segment(workflow.id, now=later(days=3)) == 0
    assert triggers.scan_segment(workflow.id, now=later(days=8)) == 1
    assert triggers.scan_segment(workflow.id, now=later(days=9)) == 0

    [run] = runs_of(workflow)
    assert (run.contact_id, run.state) == (ana.id, "done")
    assert triggers.queue_segment_scans() == 1


def test_a_draft_workflow_starts_nothing(org):
    trial = make_label(org, "Trial")
    workflow = make_workflow(org, {"kind": "label_added", "label_id": trial.id}, [], active=False)
    contacts.add_label(make_contact(org), "Trial")
    assert runs_of(workflow) == []
