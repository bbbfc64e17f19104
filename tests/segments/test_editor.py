"""The editor's form fields and the tree: what the form posts reads back as the tree it shows."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from tests.factories.catalog import make_question
from tests.factories.contacts import make_label
from tests.factories.events import make_event
from tests.segments.helpers import cond, group
from webapp.segments import choices, editor, service
from webapp.segments.tree import DIMENSIONS, validate


def test_a_tree_read_back_from_its_form_fields_is_the_same_tree(org):
    vip, speaker = make_label(org, "VIP"), make_label(org, "Speaker")
    event = make_event(org)
    base = service.create_segment(org.id, name="Base", tree=group())
    tree = validate(
        org.id,
        group(
            cond("labels", "all_of", [vip.id, speaker.id]),
            cond("name", "contains", 'O\'Brien "Bob"', negate=True),
            cond("email_domain", "any_of", ["kopi.id", "example.org"]),
            group(
                cond("created", "within_days", 30),
                cond("custom_field", "at_least", 2.5, field="score", field_type="number"),
                cond("custom_field", "equals", False, field="vip", field_type="boolean"),
                group(
                    cond("registered", "at_least", 2, event_id=event.id),
                    cond(
                        "tracked", "at_least", 3, event_type="purchase", property="plan", property_value="pro", days=30
                    ),
                    cond("mail_opened", "exists", send_key="ticket", days=7),
                    cond("segment", "member", base.id),
                    cond("status", "any_of", ["active", "pending"]),
                    join="or",
                    negate=True,
                ),
                join="or",
            ),
        ),
    )
    reading = editor.read(MultiDict(editor.form_fields(tree)))
    assert validate(org.id, reading.tree) == tree
    assert reading.paths["$.children[3].children[3].children[1]"] == "n-3-3-1"


def test_a_node_error_path_finds_its_node():
    reading = editor.index(group(cond("labels", "any_of", []), group(cond("name", "equals", ""))))
    assert editor.node_key_of(reading, "$.children[1].children[0].value") == "n-1-0"
    assert editor.node_key_of(reading, "$.children[0].value[2]") == "n-0"
    assert editor.node_key_of(reading, "$.children[1].join") == "n-1"
    assert editor.node_key_of(reading, "$") == "n"


def test_fields_that_name_no_place_in_the_tree_are_left_out():
    form = MultiDict(
        [("node", "n"), ("node", "n-0-0"), ("node", "x"), ("node", "n-1"), ("n-1:type", "condition")]
        + [("n-1:dimension", "labels"), ("n-1:operator", "any_of"), ("n-1:value", "5"), ("node", "n-1-0")]
    )
    tree = editor.read(form).tree
    assert tree == group({**cond("labels", "any_of", [5]), "negate": False})


def test_an_answer_takes_the_input_its_question_needs(org):
    event = make_event(org)
    age, vip = make_question(event, kind="number"), make_question(event, kind="checkbox")
    tree = validate(
        org.id,
        group(cond("answer", "at_least", 18, question_id=age.id), cond("answer", "equals", False, question_id=vip.id)),
    )
    fields = [(k, v) for k, v in editor.form_fields(tree) if not k.endswith(":answer_type")]  # the page holds none
    reading = editor.read(MultiDict(fields), choices.answer_types(org.id))
    assert validate(org.id, reading.tree) == tree
    number, yes_no = reading.tree["children"]
    assert editor.value_kind(DIMENSIONS["answer"], number) == "number"
    assert editor.operators_for(DIMENSIONS["answer"], number) == ("equals", "at_least", "at_most")
    assert editor.value_kind(DIMENSIONS["answer"], yes_no) == "boolean"
