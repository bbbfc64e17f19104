"""Validating trees: paths of bad nodes, limits, foreign ids and cycles; quoting characters are
values, never SQL."""

from __future__ import annotations

import pytest

from tests.factories.accounts import make_org
from tests.factories.catalog import make_product, make_question
from tests.factories.contacts import make_contact, make_label
from tests.factories.events import make_event
from tests.factories.orders import make_registrant
from tests.segments.helpers import cond, group
from webapp.contacts.models import Contact, Label
from webapp.orders import contact_sync
from webapp.segments import query, service
from webapp.segments.tree import MAX_DEPTH, MAX_NODES, TreeError, catalogue, validate


def error_of(org, tree) -> TreeError:
    with pytest.raises(TreeError) as caught:
        validate(org.id, tree)
    return caught.value


def test_the_path_names_the_bad_node(org):
    tree = group(cond("name", "contains", "a"), group(cond("name", "equals", "x"), cond("stage", "equals", "king")))
    assert error_of(org, tree).path == "$.children[1].children[1].value"
    assert error_of(org, group(cond("name", "between", "a"))).path == "$.children[0].operator"
    assert error_of(org, group(cond("colour", "equals", "a"))).path == "$.children[0].dimension"
    assert error_of(org, group({**cond("name", "equals", "a"), "sql": "1=1"})).path == "$.children[0].sql"
    assert error_of(org, {"type": "condition"}).path == "$"
    assert error_of(org, group(cond("custom_field", "at_least", 3, field="age"))).path == "$.children[0].operator"


def test_depth_and_size_are_bounded(org):
    deep = cond("name", "is_empty")
    for _ in range(MAX_DEPTH - 1):
        deep = group(deep)
    validate(org.id, deep)  # the deepest allowed
    assert "nest" in error_of(org, group(group(deep))).message
    wide = group(*[cond("name", "is_empty") for _ in range(MAX_NODES)])
    assert "at most" in error_of(org, wide).message


def test_another_organizations_ids_are_refused(org):
    stranger = make_org()
    event = make_event(stranger)
    assert error_of(org, group(cond("labels", "any_of", [make_label(stranger).id]))).path == "$.children[0].value[0]"
    assert error_of(org, group(cond("registered", "exists", event_id=event.id))).path == "$.children[0].event_id"
    assert error_of(org, group(cond("product", "any_of", [make_product(event).id]))).path == "$.children[0].value[0]"
    theirs = service.create_segment(stranger.id, name="Theirs", tree=group())
    assert error_of(org, group(cond("segment", "member", theirs.id))).path == "$.children[0].value"


def test_a_segment_cannot_contain_itself(org):
    first = service.create_segment(org.id, name="First", tree=group())
    second = service.create_segment(org.id, name="Second", tree=group(cond("segment", "member", first.id)))
    with pytest.raises(TreeError, match="contain itself"):
        service.update_segment(first, tree=group(cond("segment", "member", second.id)))
    with pytest.raises(TreeError, match="contain itself"):
        service.update_segment(first, tree=group(cond("segment", "member", first.id)))


@pytest.mark.parametrize(
    "text", ["o'brien", 'a"b', "%", "_", "\\", "'; DELETE FROM contact; --", "x' OR '1'='1", "$.name"]
)
def test_quoting_characters_are_plain_text(org, text):
    labels = Label.select().count()
    make_contact(org, "plain@example.org", name="Plain")
    odd = make_contact(org, "odd@example.org", name=f"Odd {text} name", custom={"note": text})
    for operator in ("contains", "equals", "starts_with"):
        value = text if operator != "starts_with" else f"odd {text}"
        tree = validate(org.id, group(cond("name", operator, value if operator != "equals" else odd.name)))
        assert [c.email for c in query.members(org.id, tree)] == ["odd@example.org"], operator
    by_field = validate(org.id, group(cond("custom_field", "equals", text, field="note")))
    assert [c.email for c in query.members(org.id, by_field)] == ["odd@example.org"]
    assert Contact.select().count() == 2 and Label.select().count() == labels  # nothing deleted


def test_text_with_a_nul_is_refused(org):
    assert error_of(org, group(cond("name", "contains", "a\x00b"))).path == "$.children[0].value"


def test_the_catalogue_has_both_languages_for_every_dimension():
    for dimension in catalogue():
        assert dimension["label"]["en"] and dimension["label"]["id"]
        assert all(op["label"]["en"] and op["label"]["id"] for op in dimension["operators"])


def test_segments_naming_segments_cannot_blow_up_the_query(org):
    from webapp.segments.tree import MAX_EXPANDED

    inner = service.create_segment(org.id, name="S0", tree=group(*[cond("name", "is_empty") for _ in range(60)]))
    doubled = 61
    level = 0
    while doubled * 2 + 4 <= MAX_EXPANDED:
        level += 1
        inner = service.create_segment(
            org.id,
            name=f"S{level}",
            tree=group(cond("segment", "member", inner.id), cond("segment", "member", inner.id)),
        )
        doubled = doubled * 2 + 3
    with pytest.raises(TreeError, match="at most"):
        validate(org.id, group(cond("segment", "member", inner.id), cond("segment", "member", inner.id)))


def test_yes_no_and_number_questions_are_compared_as_such(org):
    event = make_event(org)
    vip = make_question(event, kind="checkbox", per_attendee=True)
    age = make_question(event, kind="number", per_attendee=True)
    city = make_question(event, kind="text", per_attendee=True)

    yes = validate(org.id, group(cond("answer", "equals", True, question_id=vip.id, answer_type="number")))
    assert yes["children"][0]["answer_type"] == "boolean"  # the question decides, not the tree
    assert validate(org.id, group(cond("answer", "at_least", 18, question_id=age.id)))["children"][0]["value"] == 18

    assert error_of(org, group(cond("answer", "any_of", [True], question_id=vip.id))).path == "$.children[0].operator"
    assert error_of(org, group(cond("answer", "equals", "yes", question_id=vip.id))).message == "Use true or false."
    assert error_of(org, group(cond("answer", "at_most", "NaN", question_id=age.id))).path == "$.children[0].value"
    assert error_of(org, group(cond("answer", "at_least", 3, question_id=city.id))).path == "$.children[0].operator"

    ana = make_registrant(
        event, attendees=[{"email": "ana@example.org", "answers": {str(vip.id): True, str(age.id): 31}}]
    )
    budi = make_registrant(
        event, attendees=[{"email": "budi@example.org", "answers": {str(vip.id): False, str(age.id): 17}}]
    )
    contact_sync.sync_registrants([ana.id, budi.id])
    adults = validate(org.id, group(cond("answer", "at_least", 18, question_id=age.id)))
    vips = validate(org.id, group(cond("answer", "equals", True, question_id=vip.id)))
    assert [c.email for c in query.members(org.id, adults)] == ["ana@example.org"]
    assert query.count(org.id, vips) == 1
