"""/v2/email-marketing and /api/v1/transmissions: the lifecycle's 409s naming the state,
validation 422s, organizations kept apart, reports and the export job, single sends whose
metadata comes back on their webhooks."""

from __future__ import annotations

import datetime as dt

import pytest

from tasks import huey
from tests.campaigns.helpers import BODY, verified_domain
from tests.factories.accounts import make_org
from tests.factories.api import ApiClient, make_api_key
from tests.factories.contacts import make_contact, make_label
from webapp.api import webhooks
from webapp.api.models import WebhookDelivery
from webapp.campaigns import campaign_templates
from webapp.campaigns.composer import clean_body
from webapp.campaigns.models import Campaign
from webapp.contacts import service as contacts
from webapp.db import utcnow
from webapp.mail.models import Outbox

URL = "/v2/email-marketing"


@pytest.fixture
def mailer(mail_app):
    huey.immediate = True
    return mail_app


@pytest.fixture
def org(mailer):
    org = make_org()
    verified_domain(org)
    return org


@pytest.fixture
def api(mailer, org):
    return ApiClient(mailer[0].test_client(), make_api_key(org)[1])


@pytest.fixture
def other_api(mailer):
    return ApiClient(mailer[0].test_client(), make_api_key(make_org())[1])


def _draft(api, org, **values):
    label = make_label(org)
    for i in range(2):
        contacts.add_label(make_contact(org, name=f"Ana{i} Putri"), label.name)
    body = {
        "name": "Doors open",
        "subject": "Hi {{ contact.first_name }}",
        "from_email": "hello@news.example.org",
        "body_html": BODY,
        "audience": {"include_labels": [label.id]},
        **values,
    }
    response = api.post(URL, body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_create_send_and_read_the_report(api, org, mailer):
    draft = _draft(api, org, category="News")
    assert draft["state"] == "draft" and draft["audience"]["include_labels"]
    assert api.get(f"{URL}/{draft['id']}").get_json()["name"] == "Doors open"
    assert api.get(URL).get_json()["data"][0]["id"] == draft["id"]
    assert api.post(f"{URL}/{draft['id']}/count-recipient").get_json() == {"recipients": 2, "skipped": 0, "matched": 2}
    preview = api.get(f"{URL}/{draft['id']}/preview").get_json()
    assert preview["subject"] == "Hi Ana" and "Hello Ana," in preview["html"]

    sent = api.post(f"{URL}/{draft['id']}/send", {})
    assert sent.status_code == 200 and sent.get_json()["state"] == "sending"
    assert api.get(f"{URL}/{draft['id']}").get_json()["state"] == "sent"  # the job ran after the commit
    assert len(mailer[1].messages) == 2
    basic = api.get(f"{URL}/reports/basic", campaign_id=draft["id"]).get_json()
    assert (basic["sent"], basic["delivered"], basic["human"]["unique_opens"]) == (2, 2, 0)
    assert api.get(f"{URL}/reports/link", campaign_id=draft["id"]).get_json() == {"data": []}
    hours = api.get(f"{URL}/reports/open-time", campaign_id=draft["id"]).get_json()
    assert len(hours["hours"]) == 24
    assert api.get(f"{URL}/reports/label").status_code == 200
    assert api.get(f"{URL}/reports/label", by="category").get_json()["data"][0]["category"] == "News"

    job = api.post(f"{URL}/reports/export", {"campaign_id": draft["id"]})
    assert job.status_code == 202
    followed = api.get(f"{URL}/reports/export", job_id=job.get_json()["id"]).get_json()
    assert followed["state"] == "done" and followed["file_url"]
    file = api.client.get(followed["file_url"], headers=api.headers())
    assert file.status_code == 200 and file.mimetype == "text/csv" and file.data.count(b"\n") == 3


def test_disallowed_transitions_answer_409_naming_the_state(api, org):
    draft = _draft(api, org)
    later = (utcnow() + dt.timedelta(days=1)).replace(microsecond=0).isoformat() + "Z"
    scheduled = api.post(f"{URL}/{draft['id']}/send", {"send_at": later}).get_json()
    assert scheduled["state"] == "scheduled"
    again = api.post(f"{URL}/{draft['id']}/send", {"send_at": later})
    assert again.status_code == 409 and again.get_json()["error"]["fields"]["state"] == "scheduled"
    assert "scheduled" in again.get_json()["error"]["message"]
    assert api.post(f"{URL}/{draft['id']}/cancel-schedule").get_json()["state"] == "draft"
    refused = api.post(f"{URL}/{draft['id']}/cancel-schedule")
    assert refused.status_code == 409 and "draft" in refused.get_json()["error"]["message"]

    api.post(f"{URL}/{draft['id']}/send", {})
    copy = api.post(f"{URL}/{draft['id']}/duplicate")
    assert copy.status_code == 201 and copy.get_json()["state"] == "draft" and copy.get_json()["id"] != draft["id"]
    assert api.post(f"{URL}/{draft['id']}/send", {}).get_json()["error"]["fields"]["state"] == "sent"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x", "audience": {"include_labels": [999999]}}, "audience.include_labels[0]"),
        (
            {"name": "x", "audience": {"event_registrants": {"event_id": 1, "states": ["gone"]}}},
            "audience.event_registrants.event_id",
        ),
        ({"name": "x", "from_email": "not an address"}, "from_email"),
        ({"name": "x", "send_at": "tomorrow"}, "send_at"),
        ({"name": "x", "track_opens": "yes"}, "track_opens"),
        ({"name": "x\u0000"}, "name"),
        ({"name": "x", "unknown": 1}, "unknown"),
        ({"name": "x", "template_id": 999999}, "template_id"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(api, body, field):
    response = api.post(URL, body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]


def test_launching_without_a_verified_sender_or_audience_is_a_422(api, org):
    draft = _draft(api, org, from_email="hello@elsewhere.example.org")
    response = api.post(f"{URL}/{draft['id']}/send", {})
    assert response.status_code == 422 and "from_email" in response.get_json()["error"]["fields"]
    nothing = api.post(
        f"{URL}/create-send", {"name": "x", "subject": "s", "from_email": "a@news.example.org", "body_html": "<p>x</p>"}
    )
    assert nothing.status_code == 422 and "audience" in nothing.get_json()["error"]["fields"]
    assert not Campaign.select().where(Campaign.name == "x").exists()  # nothing kept
    broken = _draft(api, org, subject="{{ contact.__class__ }}")
    assert "subject" in api.post(f"{URL}/{broken['id']}/send", {}).get_json()["error"]["fields"]


def test_organizations_are_kept_apart(api, other_api, org):
    draft = _draft(api, org)
    for method, path in [
        ("get", f"{URL}/{draft['id']}"),
        ("post", f"{URL}/{draft['id']}/send"),
        ("post", f"{URL}/{draft['id']}/duplicate"),
        ("post", f"{URL}/{draft['id']}/count-recipient"),
        ("get", f"{URL}/{draft['id']}/preview"),
    ]:
        assert getattr(other_api, method)(path).status_code == 404
    assert other_api.get(f"{URL}/reports/basic", campaign_id=draft["id"]).status_code == 404
    assert other_api.get(URL).get_json()["data"] == []
    assert other_api.post(f"{URL}/reports/export", {"campaign_id": draft["id"]}).status_code == 404


def test_a_key_without_the_campaigns_scope_is_refused(mailer, org):
    limited = ApiClient(mailer[0].test_client(), make_api_key(org, scopes=["contacts"])[1])
    assert limited.get(URL).status_code == 403
    assert ApiClient(mailer[0].test_client(), None).get(URL).status_code == 401


def test_the_routes_are_in_the_openapi_document(api):
    paths = api.client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        URL, f"{URL}/{{campaignId}}", f"{URL}/create-send", f"{URL}/{{campaignId}}/send",
        f"{URL}/{{campaignId}}/cancel-schedule", f"{URL}/{{campaignId}}/duplicate",
        f"{URL}/{{campaignId}}/count-recipient", f"{URL}/{{emailId}}/preview", f"{URL}/reports/basic",
        f"{URL}/reports/link", f"{URL}/reports/open-time", f"{URL}/reports/label", f"{URL}/reports/export",
        "/api/v1/transmissions",
    ):  # fmt: skip
        assert path in paths, path


def test_a_single_send_carries_its_metadata_on_its_webhooks(api, org, mailer):
    webhooks.create_endpoint(org.id, url="https://hooks.example.org/in", topics=["campaign.delivered"])
    webhooks.forget_subscriptions()
    response = api.post(
        "/transmissions",
        {"to": "ana@example.org", "subject": "Your slides", "html": "<p>Here</p>", "metadata": {"order": "A-17"}},
    )
    assert response.status_code == 202, response.get_json()
    (message,) = mailer[1].messages
    assert message["Subject"] == "Your slides"
    (delivery,) = WebhookDelivery.select().where(WebhookDelivery.topic == "campaign.delivered")
    assert delivery.payload["data"]["message"]["metadata"] == {"order": "A-17"}
    assert Outbox.get_by_id(response.get_json()["outbox_id"]).state == "sent"
    assert api.post("/transmissions", {"to": "ana@example.org"}).status_code == 422
    assert api.post("/transmissions", {"to": "nobody", "subject": "s", "text": "t"}).status_code == 422


BLOCKS = [
    {"type": "heading", "text": "Doors open at 8", "level": 1},
    {"type": "text", "markdown": 'Hello {{ contact.first_name | default("there") }}, here is **the map**.'},
    {"type": "button", "label": "Open the map", "url": "https://example.org/map"},
]


def test_blocks_given_to_the_api_are_rendered_as_the_console_renders_them(api, org):
    draft = _draft(api, org, body_html="", body_blocks=BLOCKS)
    stored = Campaign.get_by_id(draft["id"])
    assert stored.body_blocks[2]["url"] == "https://example.org/map"
    assert stored.body_html == clean_body(org, blocks=BLOCKS, subject=stored.subject).html
    assert "Open the map" in draft["body_html"] and "https://example.org/map" in draft["body_html"]
    preview = api.get(f"{URL}/{draft['id']}/preview").get_json()
    assert "Hello Ana" in preview["html"] and "Doors open at 8" in preview["text"]
    assert "Open the map (https://example.org/map)" in preview["text"]


def test_raw_html_over_the_api_keeps_no_blocks(api, org):
    draft = _draft(api, org, body_blocks=None)
    assert Campaign.get_by_id(draft["id"]).body_blocks is None and "the map" in draft["body_html"]


@pytest.mark.parametrize(
    ("block", "words"),
    [
        ({"type": "button", "label": "Go", "url": "javascript:alert(1)"}, "Block 2 (button)"),
        ({"type": "image", "src": "http://example.org/a.png"}, "Block 2 (image)"),
        ({"type": "marquee"}, "Block 2"),
        ({"type": "columns", "left": [{"type": "event", "event_id": 1}], "right": []}, "Block 2"),
    ],
)
def test_a_bad_block_over_the_api_is_a_422_naming_it(api, org, block, words):
    response = api.post(URL, {"name": "x", "body_blocks": [{"type": "divider"}, block]})
    assert response.status_code == 422, response.get_json()
    assert words in response.get_json()["error"]["fields"]["body_blocks"]
    assert not Campaign.select().where(Campaign.name == "x").exists()


def test_a_single_send_from_a_campaign_template(api, org, mailer):
    template = campaign_templates.create_template(
        org, name="Welcome", subject="Welcome, {{ contact.first_name | default('friend') }}", blocks=BLOCKS
    )
    response = api.post(
        "/transmissions", {"to": "dewi@example.org", "to_name": "Dewi Lestari", "template_id": template.id}
    )
    assert response.status_code == 202, response.get_json()
    (message,) = mailer[1].messages
    assert message["Subject"] == "Welcome, Dewi"
    assert "Open the map" in message.get_body(("html",)).get_content()
    assert "Hello Dewi, here is the map." in message.get_body(("plain",)).get_content()


def test_a_single_send_copies_a_campaign_by_campaign_id(api, org, mailer):
    draft = _draft(api, org, subject="Campaign subject", from_name="JTS Team")
    response = api.post("/transmissions", {"to": "dewi@example.org", "campaign_id": draft["id"]})
    assert response.status_code == 202, response.get_json()
    (message,) = mailer[1].messages
    assert message["Subject"] == "Campaign subject" and "hello@news.example.org" in message["From"]


def test_a_single_send_names_a_template_or_campaign_it_cannot_use(api, other_api, org):
    draft = _draft(api, org)
    mine = campaign_templates.create_template(org, name="Mine", subject="s", html="<p>x</p>")
    for body, field in [
        ({"template_id": draft["id"] + 1000}, "template_id"),  # no such template
        ({"campaign_id": draft["id"] + 1000}, "campaign_id"),
        ({"template_id": mine.id, "campaign_id": draft["id"]}, "template_id"),
    ]:
        response = api.post("/transmissions", {"to": "dewi@example.org", **body})
        assert response.status_code == 422 and field in response.get_json()["error"]["fields"], body
    for body, field in [({"template_id": mine.id}, "template_id"), ({"campaign_id": draft["id"]}, "campaign_id")]:
        response = other_api.post("/transmissions", {"to": "dewi@example.org", **body})  # another organization's
        assert response.status_code == 422 and field in response.get_json()["error"]["fields"], body
