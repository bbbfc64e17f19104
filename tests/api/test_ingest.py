"""Event-tracking ingestion: accepted raw, processed into contacts, timelines and labels."""

from __future__ import annotations

import datetime as dt

from tests.factories.accounts import make_org
from tests.factories.api import ApiClient, make_api_key
from webapp.contacts import ingest
from webapp.contacts.ingest_models import IncomingEvent
from webapp.contacts.models import Activity, Contact, Label
from webapp.contacts.service import labels_of


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


def test_an_unexpected_error_fails_only_its_own_event(api, org, monkeypatch):
    real = ingest._contact_for

    def flaky(row):
        if row.email == "boom@example.org":
            raise RuntimeError("database hiccup")
        return real(row)

    monkeypatch.setattr(ingest, "_contact_for", flaky)
    events = [{"type": "cart", "email": "boom@example.org"}, {"type": "cart", "email": "fine@example.org"}]
    ids = [e["id"] for e in api.post("/client/events/bulk", {"events": events}).json["events"]]
    statuses = [IncomingEvent.get_by_id(i).status for i in ids]
    assert statuses == ["failed", "processed"]
    assert "RuntimeError" in IncomingEvent.get_by_id(ids[0]).process_error


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


def test_events_left_pending_are_picked_up_by_the_sweep(org):
    row = IncomingEvent.create(
        organization=org.id, type="signup", email="late@example.org", occurred_at=dt.datetime(2026, 1, 1), properties={}
    )
    assert ingest.process_pending() == 1
    assert IncomingEvent.get_by_id(row.id).status == "processed"
