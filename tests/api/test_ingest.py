"""Event-tracking ingestion: accepted raw, processed into contacts, timelines and labels."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks import huey
from tests.factories.accounts import make_org
from tests.factories.api import ApiClient, make_api_key
from webapp import signals, work
from webapp.api.schema import Invalid, Obj
from webapp.api.v1.ingest import ClientEvent
from webapp.contacts import ingest
from webapp.contacts.ingest_models import EVENT_TYPES, IncomingEvent
from webapp.contacts.models import Activity, Contact, Label
from webapp.contacts.service import labels_of
from webapp.db import is_postgres, utcnow
from webapp.work import engine
from webapp.work.models import WorkItem


@pytest.fixture(autouse=True)
def set_based_processing(request, caplog):
    """Batches are processed set-wise: falling back to one event at a time would hide a broken
    set-based path behind correct results."""
    yield
    if "batch_fallback_expected" not in request.fixturenames:
        assert not [r for r in caplog.get_records("call") if "failed as a whole" in r.getMessage()]


@pytest.fixture
def batch_fallback_expected():
    """This test breaks the set-based path on purpose."""


def _contact(org, email):
    return Contact.get((Contact.organization == org.id) & (Contact.email == email))


def test_one_event_creates_the_contact_and_a_timeline_entry(api, org):
    response = api.post("/client/events", {"type": "signup", "email": "Ana@Example.org", "properties": {"plan": "pro"}})
    assert response.status_code == 202, response.json
    assert response.json["duplicate"] is False
    contact = _contact(org, "ana@example.org")
    activity = Activity.get((Activity.contact == contact.id) & (Activity.kind == "signup"))
    assert activity.data["properties"] == {"plan": "pro"}
    row = IncomingEvent.get_by_id(response.json["id"])
    assert (row.status, row.contact_id, row.activity_id) == ("processed", contact.id, activity.id)


def test_a_bulk_post_stores_every_event_and_answers_their_ids(api, org):
    events = [{"type": "feature_used", "email": f"u{n}@example.org", "properties": {"n": n}} for n in range(50)]
    response = api.post("/client/events/bulk", {"events": events})
    assert response.status_code == 202
    assert response.json["accepted"] == 50
    ids = [e["id"] for e in response.json["events"]]
    assert len(set(ids)) == 50
    assert IncomingEvent.select().where(IncomingEvent.id.in_(ids), IncomingEvent.status == "processed").count() == 50
    assert Contact.for_org(org.id).count() == 50


def test_more_than_a_thousand_events_are_refused_whole(api):
    events = [{"type": "cart", "email": "a@example.org"}] * 1001
    response = api.post("/client/events/bulk", {"events": events})
    assert response.status_code == 422
    assert "events" in response.json["error"]["fields"]
    assert not IncomingEvent.select().exists()


def test_a_bad_event_in_a_bulk_is_named_by_its_index(api):
    events = [
        {"type": "signup", "email": "a@example.org"},
        {"type": "teleported", "email": "b@example.org"},
        {"type": "cart"},
    ]
    fields = api.post("/client/events/bulk", {"events": events}).json["error"]["fields"]
    assert "events[1].type" in fields
    assert not IncomingEvent.select().exists()


def test_an_event_needs_an_email_or_user_id_and_a_sane_time(api):
    assert api.post("/client/events", {"type": "signup"}).json["error"]["fields"] == {"email": "Send email or user_id."}
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = api.post("/client/events", {"type": "signup", "email": "a@example.org", "occurred_at": future})
    assert "occurred_at" in response.json["error"]["fields"]
    response = api.post("/client/events", {"type": "signup", "email": "a@example.org", "occurred_at": "yesterday"})
    assert "occurred_at" in response.json["error"]["fields"]


def test_properties_are_size_limited(api):
    response = api.post("/client/events", {"type": "cart", "email": "a@example.org", "properties": {"x": "y" * 5000}})
    assert response.status_code == 422
    assert "properties" in response.json["error"]["fields"]


def test_a_repeated_idempotency_key_is_stored_once(api, org):
    event = {"type": "purchase", "email": "a@example.org", "idempotency_key": "order-77"}
    first = api.post("/client/events", event).json
    second = api.post("/client/events", event).json
    assert second == {**first, "duplicate": True}
    bulk = api.post(
        "/client/events/bulk",
        {"events": [event, {**event, "idempotency_key": "order-78"}, {**event, "idempotency_key": "order-78"}]},
    ).json
    assert [e["duplicate"] for e in bulk["events"]] == [True, False, True]
    assert bulk["events"][1]["id"] == bulk["events"][2]["id"]
    assert Activity.select().where(Activity.kind == "purchase").count() == 2


def test_a_reused_idempotency_key_with_another_event_answers_409_and_stores_nothing(api, org):
    event = {"type": "purchase", "email": "a@example.org", "properties": {"total": 10}, "idempotency_key": "order-9"}
    first = api.post("/client/events", event).json
    changed = api.post("/client/events", {**event, "properties": {"total": 99}})
    assert changed.status_code == 409
    assert changed.json["error"]["code"] == "conflict"
    assert "idempotency_key" in changed.json["error"]["fields"]
    other_person = api.post("/client/events", {**event, "email": "b@example.org"})
    assert other_person.status_code == 409
    # The same body again stays a harmless duplicate, with or without the time it was sent.
    assert api.post("/client/events", event).json == {**first, "duplicate": True}
    fresh = {"type": "cart", "email": "c@example.org", "idempotency_key": "cart-1"}
    bulk = api.post("/client/events/bulk", {"events": [fresh, {**event, "type": "cart"}]})
    assert bulk.status_code == 409
    assert set(bulk.json["error"]["fields"]) == {"events[1].idempotency_key"}
    in_one_list = api.post("/client/events/bulk", {"events": [fresh, {**fresh, "email": "d@example.org"}]})
    assert in_one_list.status_code == 409
    assert set(in_one_list.json["error"]["fields"]) == {"events[1].idempotency_key"}
    timed = {"type": "signup", "user_id": "u-1", "occurred_at": "2026-01-05T10:00:00+07:00", "idempotency_key": "s-1"}
    assert api.post("/client/events", timed).json["duplicate"] is False
    assert api.post("/client/events", timed).json["duplicate"] is True
    assert api.post("/client/events", {**timed, "occurred_at": "2026-01-05T11:00:00+07:00"}).status_code == 409
    assert IncomingEvent.select().where(IncomingEvent.organization == org.id).count() == 2


def test_idempotency_keys_of_events_are_per_organization(api, client):
    _, token = make_api_key(make_org())
    other = ApiClient(client, token)
    event = {"type": "purchase", "email": "a@example.org", "idempotency_key": "same"}
    assert api.post("/client/events", event).json["duplicate"] is False
    assert other.post("/client/events", event).json["duplicate"] is False


def test_a_failing_event_is_marked_failed_and_does_not_block_the_rest(api, org):
    events = [
        {"type": "signup", "email": "first@example.org", "user_id": "u-1"},
        {"type": "core_activity", "user_id": "nobody-knows-me"},
        {"type": "core_activity", "user_id": "u-1"},
    ]
    ids = [e["id"] for e in api.post("/client/events/bulk", {"events": events}).json["events"]]
    rows = {row.id: row for row in IncomingEvent.select().where(IncomingEvent.id.in_(ids))}
    assert [rows[i].status for i in ids] == ["processed", "failed", "processed"]
    assert "nobody-knows-me" in rows[ids[1]].process_error
    contact = _contact(org, "first@example.org")
    assert rows[ids[2]].contact_id == contact.id

    failed = api.get("/public/authenticated/events/incoming", status="failed").json["data"]
    assert [(e["id"], e["status"]) for e in failed] == [(ids[1], "failed")]
    assert failed[0]["process_error"]


def _breaks_for_boom(monkeypatch, name: str) -> None:
    """ingest.<name> raises for the events of boom@example.org."""
    real = getattr(ingest, name)

    def flaky(row):
        if row.email == "boom@example.org":
            raise RuntimeError("database hiccup")
        return real(row)

    monkeypatch.setattr(ingest, name, flaky)


def test_an_unexpected_error_fails_only_its_own_event(api, org, monkeypatch, batch_fallback_expected):
    _breaks_for_boom(monkeypatch, "summary_of")
    events = [{"type": "cart", "email": "boom@example.org"}, {"type": "cart", "email": "fine@example.org"}]
    ids = [e["id"] for e in api.post("/client/events/bulk", {"events": events}).json["events"]]
    statuses = [IncomingEvent.get_by_id(i).status for i in ids]
    assert statuses == ["failed", "processed"]
    assert "RuntimeError" in IncomingEvent.get_by_id(ids[0]).process_error
    assert Activity.select().where(Activity.contact == _contact(org, "fine@example.org").id).count() == 1


def test_a_contact_that_cannot_take_its_user_id_fails_only_its_event(api, org, monkeypatch):
    api.post("/client/events", {"type": "signup", "email": "boom@example.org"})
    _breaks_for_boom(monkeypatch, "_contact_for")
    events = [
        {"type": "cart", "email": "boom@example.org", "user_id": "u-9"},
        {"type": "cart", "email": "new@example.org", "user_id": "u-10"},
    ]
    ids = [e["id"] for e in api.post("/client/events/bulk", {"events": events}).json["events"]]
    assert [IncomingEvent.get_by_id(i).status for i in ids] == ["failed", "processed"]
    assert "RuntimeError" in IncomingEvent.get_by_id(ids[0]).process_error
    assert _contact(org, "boom@example.org").user_id is None
    assert _contact(org, "new@example.org").user_id == "u-10"


def test_tag_rules_label_contacts_and_the_label_moves_the_stage(api, org):
    Label.create(organization=org.id, name="Pro customer", stage="customer")
    ingest.create_tag_rule(
        org.id, event_type="purchase", property_name="plan", property_value="pro", action="add", label="Pro customer"
    )
    ingest.create_tag_rule(org.id, event_type="re_engagement", action="remove", label="Pro customer")
    api.post("/client/events", {"type": "purchase", "email": "a@example.org", "properties": {"plan": "basic"}})
    contact = _contact(org, "a@example.org")
    assert labels_of(contact) == []
    api.post("/client/events", {"type": "purchase", "email": "a@example.org", "properties": {"plan": "pro"}})
    contact = _contact(org, "a@example.org")
    assert [label.name for label in labels_of(contact)] == ["Pro customer"]
    assert contact.stage == "customer"
    api.post("/client/events", {"type": "re_engagement", "email": "a@example.org"})
    assert labels_of(_contact(org, "a@example.org")) == []


def test_rules_compare_numbers_and_booleans_as_text(org):
    rule = ingest.TagRule(event_type="cart", property_name="vip", property_value="true", action="add", label="x")
    assert ingest.rule_matches(rule, "cart", {"vip": True})
    assert not ingest.rule_matches(rule, "cart", {"vip": False})
    rule.property_name, rule.property_value = "items", "3"
    assert ingest.rule_matches(rule, "cart", {"items": 3.0})


def test_processed_events_are_listed_and_filtered(api, org):
    api.post("/client/events", {"type": "signup", "email": "a@example.org", "occurred_at": "2026-01-05T10:00:00+07:00"})
    api.post("/client/events", {"type": "purchase", "email": "a@example.org", "occurred_at": "2026-02-01T00:00:00Z"})
    api.post("/client/events", {"type": "signup", "email": "b@example.org", "occurred_at": "2026-03-01T00:00:00Z"})
    everything = api.get("/public/authenticated/events").json["data"]
    assert len(everything) == 3
    signups = api.get("/public/authenticated/events", type="signup").json["data"]
    assert {e["email"] for e in signups} == {"a@example.org", "b@example.org"}
    contact = _contact(org, "a@example.org")
    mine = api.get("/public/authenticated/events", contact_id=contact.id).json["data"]
    assert [e["type"] for e in mine] == ["purchase", "signup"]
    assert mine[1]["occurred_at"] == "2026-01-05T03:00:00Z"
    window = api.get("/public/authenticated/events", since="2026-01-10T00:00:00Z", until="2026-02-15T00:00:00Z")
    assert [e["type"] for e in window.json["data"]] == ["purchase"]


def test_another_organizations_events_are_not_listed(api, other_api):
    other_api.post("/client/events", {"type": "signup", "email": "a@example.org"})
    assert api.get("/public/authenticated/events").json["data"] == []
    assert api.get("/public/authenticated/events/incoming").json["data"] == []


def test_events_of_a_worker_that_died_are_processed_once_its_lease_lapses(api, org):
    huey.immediate = False  # nobody runs the work yet
    try:
        api.post("/client/events/bulk", {"events": [{"type": "cart", "email": f"{n}@example.org"} for n in range(3)]})
    finally:
        huey.immediate = True
    assert engine.claim(10)  # a worker claims the work, then dies
    assert work.run_ready() == 0 and IncomingEvent.select().where(IncomingEvent.status == "pending").count() == 3
    WorkItem.update(leased_until=utcnow() - dt.timedelta(seconds=1)).execute()
    assert work.run_ready() >= 1
    assert not IncomingEvent.select().where(IncomingEvent.status != "processed").exists()
    assert Activity.select().where(Activity.kind == "cart").count() == 3  # one timeline entry each


# The bulk route reads plainly well-formed events by a short path; it must load exactly what the
# declared checks load, and leave every refusal (and its message) to them.
_DECLARED = Obj("ClientEvent", ClientEvent.fields, required=ClientEvent.required)


def _loaded(shape, event):
    try:
        return "ok", shape.load(event)
    except Invalid as exc:
        return "invalid", exc.fields


_odd = st.one_of(st.none(), st.integers(), st.booleans(), st.lists(st.integers(), max_size=2), st.text(max_size=20))
_plain_names = st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=40)
_names = st.one_of(
    _plain_names,
    _plain_names,
    st.sampled_from(["", "  ", "x\x00y", "ü", "a" * 128, "a" * 129, " " + "a" * 128, "a" * 255, "a" * 256]),
    st.text(max_size=300),
)
_emails = st.one_of(
    st.emails().map(str),
    st.sampled_from(
        ["Ana@Example.org", " a@b.co ", "a@b", "a b@c.de", "é@example.org", "a@b.c\x00", "a" * 250 + "@b.co"]
    ),
)
_times = st.one_of(
    st.datetimes(dt.datetime(1900, 1, 2), dt.datetime(9998, 12, 30)).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")),
    st.sampled_from(
        ["2026-01-05T10:00:00.5+07:00", "2026-01-05 10:00:00z", "2026-01-05T10:00:00", "1899-12-31T23:00:00Z"]
    ),
)
_plain_properties = st.dictionaries(
    _plain_names, st.one_of(_plain_names, st.integers(), st.floats(allow_nan=False), st.booleans(), st.none())
)
_properties = st.one_of(
    _plain_properties,
    _plain_properties,
    st.dictionaries(st.text(max_size=8), st.text(max_size=30)),
    st.sampled_from([{"big": "x" * 4086}, {"big": "x" * 4087}, {"big": "é" * 2040}, {"p": "C:\\users"}, {"n": "\x00"}]),
)


def _maybe_odd(strategy):
    return st.integers(0, 7).flatmap(lambda n: _odd if n == 0 else strategy)


@st.composite
def _events(draw):
    event = draw(
        st.fixed_dictionaries(
            {"type": _maybe_odd(st.sampled_from([*EVENT_TYPES, " cart", "teleported"]))},
            optional={
                "email": _maybe_odd(_emails),
                "user_id": _maybe_odd(_names),
                "occurred_at": _maybe_odd(_times),
                "properties": _maybe_odd(_properties),
                "idempotency_key": _maybe_odd(_names),
            },
        )
    )
    if draw(st.integers(0, 7)) == 0:
        event[draw(st.sampled_from(["extra", "Type"]))] = draw(_odd)
    return event


@given(_events())
@settings(max_examples=500, deadline=None, derandomize=True)
def test_a_well_formed_event_loads_as_the_declared_checks_load_it(event):
    assert _loaded(ClientEvent, event) == _loaded(_DECLARED, event)


def test_properties_are_limited_by_their_size_in_utf8(api, org):
    near = {"note": "é" * 2040}  # 4,080 bytes in UTF-8, 12,000 characters escaped
    over = {"note": "é" * 2050}
    response = api.post(
        "/client/events/bulk", {"events": [{"type": "cart", "email": "a@example.org", "properties": near}]}
    )
    assert response.status_code == 202, response.json
    assert IncomingEvent.get_by_id(response.json["events"][0]["id"]).properties == near
    response = api.post(
        "/client/events/bulk", {"events": [{"type": "cart", "email": "a@example.org", "properties": over}]}
    )
    assert response.json["error"]["fields"] == {"events[0].properties": "At most 4096 bytes of JSON."}


def test_a_bulk_post_stores_each_event_as_sent(api, org):
    events = [
        {"type": "signup", "email": " Ana@Example.ORG ", "user_id": " u-1 ", "properties": {"b": 1, "a": [True, None]}},
        {"type": "purchase", "user_id": "u-1", "occurred_at": "2026-01-05T10:00:00+07:00", "idempotency_key": "k 1"},
    ]
    ids = [e["id"] for e in api.post("/client/events/bulk", {"events": events}).json["events"]]
    first, second = (IncomingEvent.get_by_id(i) for i in ids)
    assert (first.email, first.user_id, first.properties) == ("ana@example.org", "u-1", {"a": [True, None], "b": 1})
    assert (second.email, second.occurred_at, second.properties) == (None, dt.datetime(2026, 1, 5, 3), {})
    assert second.idempotency_key == "k 1"
    assert first.occurred_at == first.received_at


def test_every_bad_event_of_a_bulk_is_named(api):
    events = [
        {"type": "signup", "email": "a@example.org"},
        {"type": "cart", "email": "not an address", "colour": "red"},
        {"type": "cart", "email": "b@example.org", "occurred_at": None},
    ]
    error = api.post("/client/events/bulk", {"events": events}).json["error"]
    assert error["fields"] == {
        "events[1].colour": "Unknown field.",
        "events[1].email": "Enter an email address such as ana@example.org.",
        "events[2].occurred_at": "May not be null.",
    }


def test_a_bulk_event_without_a_person_or_from_the_future_is_named_by_its_index(api):
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    events = [{"type": "cart", "email": "a@example.org"}, {"type": "cart", "user_id": "u", "occurred_at": future}]
    error = api.post("/client/events/bulk", {"events": events}).json["error"]
    assert error["fields"] == {"events[1].occurred_at": "More than a day ahead."}
    error = api.post("/client/events/bulk", {"events": [*events[:1], {"type": "cart"}]}).json["error"]
    assert error["fields"] == {"events[1].email": "Send email or user_id."}
    assert not IncomingEvent.select().exists()


def test_a_bulk_answer_gives_the_status_of_fresh_events_and_of_earlier_ones(api, org):
    earlier = api.post("/client/events", {"type": "cart", "email": "a@example.org", "idempotency_key": "old"}).json
    IncomingEvent.update(status="failed").where(IncomingEvent.id == earlier["id"]).execute()
    events = [{"type": "cart", "email": f"u{n}@example.org", "idempotency_key": f"k{n}"} for n in range(60)]
    events.insert(30, {"type": "cart", "email": "a@example.org", "idempotency_key": "old"})
    answer = api.post("/client/events/bulk", {"events": events}).json
    assert (answer["accepted"], answer["duplicates"]) == (60, 1)
    assert answer["events"][30] == {"id": earlier["id"], "duplicate": True, "status": "failed"}
    assert {e["status"] for e in answer["events"][:30] + answer["events"][31:]} == {"processed"}


def test_people_new_to_the_book_are_made_once_each_with_the_last_user_id_they_are_given(api, org):
    announced = []
    events = [
        {"type": "signup", "email": "a@example.org", "user_id": "u-1"},
        {"type": "cart", "user_id": "u-1"},
        {"type": "cart", "email": "A@example.org", "user_id": "u-2"},
        {"type": "cart", "email": "b@example.org"},
        {"type": "cart", "user_id": "u-2"},
        {"type": "cart", "user_id": "u-3"},
        {"type": "signup", "email": "c@example.org", "user_id": "u-3"},
    ]
    with signals.contact_updated.connected_to(lambda sender, **ids: announced.append(ids["contact_id"])):
        answer = api.post("/client/events/bulk", {"events": events}).json
    rows = [IncomingEvent.get_by_id(e["id"]) for e in answer["events"]]
    a, b, c = (_contact(org, f"{name}@example.org") for name in "abc")
    assert (a.user_id, b.user_id, c.user_id) == ("u-2", None, "u-3")
    assert [row.contact_id for row in rows] == [a.id, a.id, a.id, b.id, a.id, None, c.id]
    assert rows[5].status == "failed"  # u-3 was unknown when it came; its email came after
    assert sorted(announced) == [a.id, b.id, c.id]
    assert Contact.for_org(org.id).count() == 3


def test_tag_rules_apply_in_event_order_and_only_where_they_change_something(api, org):
    ingest.create_tag_rule(org.id, event_type="purchase", action="add", label="Buyer")
    ingest.create_tag_rule(org.id, event_type="re_engagement", action="remove", label="Buyer")
    api.post("/client/events", {"type": "purchase", "email": "a@example.org"})
    events = [
        {"type": "purchase", "email": "a@example.org"},  # has it already
        {"type": "purchase", "email": "b@example.org"},
        {"type": "re_engagement", "email": "a@example.org"},
        {"type": "re_engagement", "email": "a@example.org"},  # gone already
        {"type": "purchase", "email": "a@example.org"},
    ]
    assert api.post("/client/events/bulk", {"events": events}).status_code == 202
    a, b = _contact(org, "a@example.org"), _contact(org, "b@example.org")
    assert [label.name for label in labels_of(a)] == ["Buyer"]
    assert [label.name for label in labels_of(b)] == ["Buyer"]
    kinds = [x.kind for x in Activity.select().where(Activity.contact == a.id).order_by(Activity.id)]
    assert kinds.count("label_added") == 2 and kinds.count("label_removed") == 1
    assert IncomingEvent.select().where(IncomingEvent.status != "processed").count() == 0


def test_labels_gained_in_one_bulk_move_the_stage_in_event_order(api, org):
    Label.create(organization=org.id, name="Trial", stage="engaged")
    Label.create(organization=org.id, name="Paying", stage="customer")
    ingest.create_tag_rule(org.id, event_type="purchase", action="add", label="Paying")
    ingest.create_tag_rule(org.id, event_type="signup", action="add", label="Trial")
    ingest.create_tag_rule(org.id, event_type="cart", action="add", label="Shopper")  # made by its first use
    events = [
        {"type": "purchase", "email": "a@example.org"},
        {"type": "signup", "email": "a@example.org"},
        {"type": "signup", "email": "b@example.org"},
        {"type": "cart", "email": "b@example.org"},
        {"type": "signup", "email": "c@example.org"},
    ]
    assert api.post("/client/events/bulk", {"events": events}).status_code == 202
    a, b = _contact(org, "a@example.org"), _contact(org, "b@example.org")
    assert [label.name for label in labels_of(a)] == ["Paying", "Trial"]
    assert (a.stage, a.stage_source) == ("engaged", "rule:Trial")
    assert [label.name for label in labels_of(b)] == ["Shopper", "Trial"]
    assert (b.stage, b.stage_source) == ("engaged", "rule:Trial")
    c = _contact(org, "c@example.org")
    assert (c.stage, [label.name for label in labels_of(c)]) == ("engaged", ["Trial"])
    staged = Activity.select().where((Activity.contact == c.id) & (Activity.kind == "stage_changed")).get()
    assert staged.data == {"from": "aware", "to": "engaged", "source": "rule:Trial"}


def test_events_not_processed_yet_answer_pending(api, org):
    huey.immediate = False  # the work waits, as behind a busy worker
    try:
        answer = api.post(
            "/client/events/bulk", {"events": [{"type": "cart", "email": f"{n}@example.org"} for n in range(60)]}
        )
        assert {e["status"] for e in answer.json["events"]} == {"pending"}
        assert api.post("/client/events", {"type": "cart", "email": "a@example.org"}).json["status"] == "pending"
    finally:
        huey.immediate = True
    work.run_ready()
    assert not IncomingEvent.select().where(IncomingEvent.status != "processed").exists()


def test_processing_pauses_between_full_batches_only_while_events_arrive(org, monkeypatch):
    for n in range(5):
        IncomingEvent.create(
            organization=org.id, type="cart", email=f"p{n}@example.org", occurred_at=dt.datetime(2026, 1, 1)
        )
    monkeypatch.setattr(ingest, "BATCH_SIZE", 2)
    pauses = []
    monkeypatch.setattr(ingest.time, "sleep", pauses.append)
    assert ingest.process([{"org": org.id, "first": 1, "last": 10**6}]) == 5
    assert pauses == []  # nothing arrived meanwhile: no reason to leave the lock to anyone

    for n in range(5):
        IncomingEvent.create(
            organization=org.id, type="cart", email=f"q{n}@example.org", occurred_at=dt.datetime(2026, 1, 1)
        )
    arrivals = iter(range(100))
    monkeypatch.setattr(ingest, "_newest_id", lambda: next(arrivals))  # the API stores events all along
    assert ingest.process([{"org": org.id, "first": 1, "last": 10**6}]) == 5
    if is_postgres():
        assert pauses == []  # row locks: the API never waits for processing
    else:
        assert len(pauses) == 2 and all(0 <= p <= ingest.MAX_PAUSE for p in pauses)
    assert not IncomingEvent.select().where(IncomingEvent.status != "processed").exists()
