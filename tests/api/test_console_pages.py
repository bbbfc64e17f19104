"""The console pages of the API: reference, webhooks, tag rules."""

from __future__ import annotations

from tests.factories.accounts import make_member, make_org
from webapp.api.models import WebhookEndpoint
from webapp.contacts.ingest_models import TagRule


def test_the_reference_page_lists_every_operation(auth, org):
    client = auth.client_for(make_member(org, "admin"), org)
    page = client.get("/console/api/docs").get_data(as_text=True)
    assert "/api/v1/client/events/bulk" in page
    assert "/api/v1/events/{event_id}/checkins" in page
    assert 'id="schema-ClientEvent"' in page
    assert "cdn" not in page.lower()


def test_the_reference_page_has_its_api_keys_button(auth, org):
    client = auth.client_for(make_member(org, "admin"), org)
    page = client.get("/console/api/docs").get_data(as_text=True)
    assert '<a class="btn btn-small" href="/console/api-keys">API keys</a>' in page


def test_the_reference_page_is_for_admins(auth, org):
    client = auth.client_for(make_member(org, "manager"), org)
    assert client.get("/console/api/docs").status_code == 403


def test_a_webhook_is_added_and_its_secret_shown_once(auth, org):
    client = auth.client_for(make_member(org, "admin"), org)
    response = client.post("/console/webhooks/", data={"url": "https://example.org/hook", "topics": ["order.paid"]})
    assert response.status_code == 303
    endpoint = WebhookEndpoint.get()
    first = client.get(response.headers["Location"]).get_data(as_text=True)
    assert endpoint.secret in first
    assert endpoint.secret not in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_webhook_without_topics_is_refused_beside_the_field(auth, org):
    client = auth.client_for(make_member(org, "admin"), org)
    response = client.post("/console/webhooks/", data={"url": "https://example.org/hook"})
    assert response.status_code == 422
    assert "Choose at least one event." in response.get_data(as_text=True)
    assert not WebhookEndpoint.select().exists()


def test_webhooks_of_another_organization_are_not_found(auth, org):
    from webapp.api import webhooks

    other, _ = webhooks.create_endpoint(make_org().id, url="https://example.org/x", topics=["order.paid"])
    client = auth.client_for(make_member(org, "admin"), org)
    assert client.get(f"/console/webhooks/{other.id}").status_code == 404


def test_a_tag_rule_is_added_paused_and_deleted(auth, org):
    client = auth.client_for(make_member(org, "manager"), org)
    response = client.post(
        "/console/contacts/tag-rules/",
        data={
            "event_type": "purchase",
            "property_name": "plan",
            "property_value": "pro",
            "action": "add",
            "label": "Pro",
        },
    )
    assert response.status_code == 303
    rule = TagRule.get()
    assert (rule.organization_id, rule.event_type, rule.property_value, rule.label) == (
        org.id,
        "purchase",
        "pro",
        "Pro",
    )
    page = client.get("/console/contacts/tag-rules/").get_data(as_text=True)
    assert "When purchase with plan = pro → add label Pro" in page
    client.post(f"/console/contacts/tag-rules/{rule.id}/toggle")
    assert TagRule.get_by_id(rule.id).active is False
    client.post(f"/console/contacts/tag-rules/{rule.id}/delete")
    assert not TagRule.select().exists()


def test_a_tag_rule_needs_a_label(auth, org):
    client = auth.client_for(make_member(org, "manager"), org)
    response = client.post("/console/contacts/tag-rules/", data={"event_type": "cart", "action": "add", "label": ""})
    assert response.status_code == 422
    assert not TagRule.select().exists()


def test_door_staff_cannot_edit_tag_rules(auth, org):
    client = auth.client_for(make_member(org, "door"), org)
    response = client.post("/console/contacts/tag-rules/", data={"event_type": "cart", "action": "add", "label": "x"})
    assert response.status_code in (302, 403)
    assert not TagRule.select().exists()


def test_webhook_topics_are_one_labelled_group_of_checkboxes_not_a_bulleted_list(auth, org):
    client = auth.client_for(make_member(org, "admin"), org)
    page = client.get("/console/webhooks/").get_data(as_text=True)
    start = page.index('<fieldset class="field choice-group')
    group = page[start : page.index("</fieldset>", start)]
    assert "<legend>Events to send" in group
    assert "<ul" not in group and "<li" not in group
    assert group.count('type="checkbox"') >= 3 and group.count('<label class="check" for=') >= 3
