"""Reusable campaign templates: saved with a checked body, kept to their organization, and the
start of new draft campaigns that show an event as it is when the campaign starts."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories.accounts import make_org, make_user
from tests.factories.events import make_event
from webapp.accounts.audit import AuditEntry
from webapp.campaigns import campaign_templates as templates
from webapp.campaigns.models import Campaign
from webapp.campaigns.templates_model import CampaignTemplate


def _blocks(event_id: int | None = None) -> list[dict]:
    blocks = [{"type": "heading", "text": 'Hello {{ contact.first_name | default("there") }}'}]
    if event_id:
        blocks.append({"type": "event", "event_id": event_id})
    return blocks + [{"type": "footer"}]


def test_a_block_template_is_stored_with_its_rendered_html_and_audited(app):
    org = make_org(timezone="Asia/Jakarta")
    org.postal_address = "Jl. Sudirman 1, Jakarta"
    org.save()
    event = make_event(
        org, name="Tech Day", starts_at=dt.datetime(2026, 12, 1, 2, 0), ends_at=dt.datetime(2026, 12, 1, 10, 0)
    )
    user = make_user()
    template = templates.create_template(
        org, name="  Monthly   news ", subject="News for {{ contact.first_name }}", blocks=_blocks(event.id), actor=user
    )
    assert template.name == "Monthly news"
    assert template.body_blocks[1] == {"type": "event", "event_id": event.id}
    html = template.body_html
    assert "Tech Day" in html and "Tuesday, December 1, 2026, 9:00" in html  # 02:00 UTC is 9:00 in Jakarta
    assert f"/e/{org.slug}/{event.slug}" in html
    assert "Jl. Sudirman 1, Jakarta" in html and "{{ unsubscribe_url }}" in html
    assert template.body_text == ""  # generated when sent
    entry = AuditEntry.get(AuditEntry.action == "campaign_template.create")
    assert entry.user_id == user.id and entry.summary == "Monthly news"


def test_a_raw_html_template_keeps_the_html_as_written(app):
    org = make_org()
    template = templates.create_template(org, name="Raw", html="<p>Hi <b>there</b></p>", text="Hi there")
    assert template.body_blocks is None
    assert template.body_html == "<p>Hi <b>there</b></p>" and template.body_text == "Hi there"


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"name": ""}, "name", "Give the template a name."),
        ({"name": "x" * 201}, "name", "At most 200 characters."),
        ({"name": "T", "subject": "a\x00b"}, "subject", "line break or control character"),
        ({"name": "T", "blocks": [{"type": "image", "src": "http://x"}]}, "blocks", "Block 1 (image)"),
        ({"name": "T", "blocks": "[{"}, "blocks", "not valid JSON"),
        ({"name": "T", "html": "<p>\x00</p>"}, "html", "NUL"),
        ({"name": "T", "html": "x" * (300 * 1024)}, "html", "Too long"),
    ],
)
def test_bad_input_names_the_field(app, kwargs, field, message):
    org = make_org()
    with pytest.raises(templates.TemplateError) as raised:
        templates.create_template(org, **kwargs)
    assert raised.value.field == field and message in str(raised.value)
    assert CampaignTemplate.select().count() == 0


def test_two_templates_of_one_organization_cannot_share_a_name(app):
    org, other = make_org(), make_org()
    templates.create_template(org, name="News", html="<p>a</p>")
    with pytest.raises(templates.TemplateError, match="Another template has this name."):
        templates.create_template(org, name="news", html="<p>b</p>")
    templates.create_template(other, name="News", html="<p>c</p>")  # another organization's is fine


def test_templates_are_listed_by_name_and_kept_to_their_organization(app):
    org, other = make_org(), make_org()
    b = templates.create_template(org, name="beta", html="<p>b</p>")
    a = templates.create_template(org, name="Alpha", html="<p>a</p>")
    theirs = templates.create_template(other, name="Theirs", html="<p>t</p>")
    assert [t.id for t in templates.list_templates(org.id)] == [a.id, b.id]
    assert templates.get_template(org.id, a.id).id == a.id
    with pytest.raises(CampaignTemplate.DoesNotExist):
        templates.get_template(org.id, theirs.id)


def test_update_switches_modes_and_delete_removes_it(app):
    org = make_org()
    template = templates.create_template(org, name="T", html="<p>old</p>")
    changes = templates.update_template(template, blocks=_blocks())
    assert set(changes) >= {"body_blocks", "body_html"}
    template = CampaignTemplate.get_by_id(template.id)
    assert template.body_blocks[0]["type"] == "heading" and "<table" in template.body_html
    templates.update_template(template, html="<p>raw again</p>", blocks=None)
    template = CampaignTemplate.get_by_id(template.id)
    assert template.body_blocks is None and template.body_html == "<p>raw again</p>"
    assert templates.update_template(template, name="T") == {}
    templates.delete_template(template)
    assert CampaignTemplate.select().count() == 0
    assert AuditEntry.select().where(AuditEntry.action == "campaign_template.delete").count() == 1


def test_a_campaign_started_from_a_template_is_a_draft_with_its_body(app):
    org = make_org()
    event = make_event(org, name="Old name")
    template = templates.create_template(
        org, name="Invite", subject="Come along", preheader="Seats left", blocks=_blocks(event.id)
    )
    event.name = "New name"
    event.save()
    campaign = templates.start_campaign(template, name="December invite")
    campaign = Campaign.get_by_id(campaign.id)
    assert campaign.state == "draft" and campaign.organization_id == org.id
    assert campaign.name == "December invite" and campaign.template_id == template.id
    assert campaign.subject == "Come along" and campaign.preheader == "Seats left"
    assert campaign.body_blocks == template.body_blocks
    assert "New name" in campaign.body_html  # the event as it is now
    unnamed = templates.start_campaign(template)
    assert unnamed.name == "Invite"


def test_a_campaign_saved_as_a_template(app):
    org = make_org()
    campaign = Campaign.create(organization=org, name="C", subject="S", body_html="<p>Body</p>", body_text="Body")
    template = templates.save_campaign_as_template(campaign, name="From C")
    assert (template.subject, template.body_html, template.body_text, template.body_blocks) == (
        "S",
        "<p>Body</p>",
        "Body",
        None,
    )


def test_an_event_of_another_organization_shows_nothing_of_it(app):
    org, other = make_org(), make_org()
    secret = make_event(other, name="Secret gala")
    template = templates.create_template(org, name="T", blocks=_blocks(secret.id))
    assert "Secret gala" not in template.body_html
    assert "no longer available" in template.body_html
