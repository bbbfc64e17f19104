"""The campaign console: the list and its empty state, starting a campaign (blank, from a template,
for an event's registrants), the composer (block editor, raw HTML, recipients with a live count,
preview, tests), the lifecycle's buttons, the report and the roll-up; roles, CSRF and isolation."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

import pytest

from tests.campaigns.helpers import ready_campaign
from tests.factories.accounts import make_member, make_org
from tests.factories.contacts import make_contact, make_label
from tests.factories.events import make_event
from webapp.campaigns import campaign_templates, service
from webapp.campaigns.models import Campaign, CampaignRecipient
from webapp.contacts import service as contacts
from webapp.db import utcnow
from webapp.mail import tracking
from webapp.mail.models import Outbox


def _client(auth, org, role="manager"):
    return auth.client_for(make_member(org, role), org)


def _org():
    org = make_org()
    org.postal_address = "Jl. Sudirman 1\nJakarta 10220"
    org.save()
    return org


def _form(campaign: Campaign, **overrides) -> dict:
    """The composer's fields as the browser posts them for `campaign` (blocks mode)."""
    data = {
        "name": campaign.name,
        "subject": campaign.subject,
        "preheader": campaign.preheader,
        "from_name": campaign.from_name,
        "from_email": campaign.from_email,
        "reply_to": campaign.reply_to,
        "category": campaign.category,
        "mode": "blocks",
        "body_html": "",
        "body_text": "",
        "track_opens": "y",
        "track_clicks": "y",
        "b-1-type": "heading",
        "b-1-text": "Doors open at 8",
        "b-1-level": "1",
        "b-1-align": "left",
        "b-2-type": "text",
        "b-2-markdown": 'Hello {{ contact.first_name | default("there") }}, see [the map](https://example.org/map).',
        "b-3-type": "footer",
        "b-3-text": "",
    }
    for key, value in (campaign.audience or {}).items():
        if key in ("include_labels", "include_segments", "exclude_labels", "exclude_segments"):
            data[f"aud-{key}"] = [str(v) for v in value]
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_empty_list_teaches_what_a_campaign_is(app, auth):
    org = _org()
    page = _client(auth, org).get("/console/campaigns").text
    assert "No campaigns yet." in page and "Write your first campaign" in page
    assert 'href="/console/campaigns/new"' in page
    assert 'href="/console/campaigns"' in page  # the console navigation has Campaigns


def test_a_new_blank_campaign_is_a_draft_with_starter_blocks(app, auth):
    org = _org()
    client = _client(auth, org)
    assert client.get("/console/campaigns/new").status_code == 200
    response = client.post("/console/campaigns/new", data={"name": "December news", "start": "blocks"})
    assert response.status_code == 303
    campaign = Campaign.get(Campaign.name == "December news")
    assert campaign.state == "draft" and campaign.organization_id == org.id
    assert [b["type"] for b in campaign.body_blocks] == ["heading", "text", "footer"]
    page = client.get(response.headers["Location"]).text
    assert 'name="b-1-text"' in page and 'value="Write your message here."' not in page
    assert 'id="preview"' in page and 'id="audience-count"' in page


def test_a_campaign_started_from_a_template_has_its_body(app, auth):
    org = _org()
    template = campaign_templates.create_template(org, name="Monthly", subject="News", html="<p>Template body</p>")
    client = _client(auth, org)
    page = client.get(f"/console/campaigns/new?template={template.id}").text
    assert re.search(rf'<option selected value="template:{template.id}">', page)
    client.post("/console/campaigns/new", data={"name": "From template", "start": f"template:{template.id}"})
    campaign = Campaign.get(Campaign.name == "From template")
    assert campaign.body_html == "<p>Template body</p>" and campaign.template_id == template.id


def test_email_these_registrants_from_the_event_page_prefills_the_audience(app, auth):
    org = _org()
    event = make_event(org, name="Launch Night")
    client = _client(auth, org)
    overview = client.get(f"/console/events/{event.id}/overview").text
    link = f"/console/campaigns/new?event_id={event.id}&amp;state=attended"
    assert "Email these registrants" in overview and link in overview
    page = client.get(link.replace("&amp;", "&")).text
    assert "To the registrants of Launch Night" in page
    client.post(
        "/console/campaigns/new",
        data={"name": "Thanks for coming", "start": "blocks", "event_id": event.id, "state": "attended"},
    )
    campaign = Campaign.get(Campaign.name == "Thanks for coming")
    assert campaign.audience["event_registrants"] == {"event_id": event.id, "states": ["attended"]}


def test_saving_the_composer_stores_blocks_rendered_and_the_audience(app, auth):
    campaign, label, people = ready_campaign(_org())
    client = _client(auth, campaign.organization)
    response = client.post(f"/console/campaigns/{campaign.id}", data=_form(campaign, category="news"))
    assert response.status_code == 303, response.text
    campaign = Campaign.get_by_id(campaign.id)
    assert [b["type"] for b in campaign.body_blocks] == ["heading", "text", "footer"]
    assert "Doors open at 8" in campaign.body_html and "{{ unsubscribe_url }}" in campaign.body_html
    assert campaign.audience["include_labels"] == [label.id] and campaign.category == "news"


def test_a_bad_block_is_refused_with_a_message_naming_it_and_nothing_saved(app, auth):
    campaign, _, _ = ready_campaign(_org())
    before = campaign.body_html
    client = _client(auth, campaign.organization)
    form = _form(campaign, **{"b-4-type": "image", "b-4-src": "http://insecure.example/a.png"})
    response = client.post(f"/console/campaigns/{campaign.id}", data=form)
    assert response.status_code == 422
    assert "Block 4 (image): “src” must be an address starting with https://." in response.text
    assert Campaign.get_by_id(campaign.id).body_html == before


def test_raw_html_mode_keeps_the_html_and_the_written_text(app, auth):
    campaign, _, _ = ready_campaign(_org())
    client = _client(auth, campaign.organization)
    form = _form(campaign, mode="html", body_html="<p>Raw {{ contact.first_name }}</p>", body_text="Raw text")
    assert client.post(f"/console/campaigns/{campaign.id}", data=form).status_code == 303
    campaign = Campaign.get_by_id(campaign.id)
    assert campaign.body_blocks is None and campaign.body_html == "<p>Raw {{ contact.first_name }}</p>"
    assert campaign.body_text == "Raw text"


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        ("add:button", ["heading", "text", "footer", "button"]),
        ("up:2", ["text", "heading", "footer"]),
        ("down:1", ["text", "heading", "footer"]),
        ("remove:2", ["heading", "footer"]),
        ("up:1", ["heading", "text", "footer"]),  # the first cannot go higher
        ("remove:9", ["heading", "text", "footer"]),  # no such block
    ],
)
def test_block_editor_buttons_add_move_and_remove(app, auth, op, expected):
    campaign, _, _ = ready_campaign(_org())
    client = _client(auth, campaign.organization)
    fragment = client.post(
        f"/console/campaigns/{campaign.id}/blocks", data={**_form(campaign), "op": op}, headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 200 and fragment.headers["HX-Trigger"] == "blocks-changed"
    assert 'id="block-editor"' in fragment.text and "<html" not in fragment.text
    types = re.findall(r'name="b-\d+-type" value="(\w+)"', fragment.text)
    assert types == expected
    # Without scripts the same button posts the whole form: the page again, nothing saved.
    page = client.post(f"/console/campaigns/{campaign.id}", data={**_form(campaign), "op": op})
    assert re.findall(r'name="b-\d+-type" value="(\w+)"', page.text) == expected
    assert Campaign.get_by_id(campaign.id).body_blocks is None  # ready_campaign's raw HTML is untouched


def test_columns_hold_their_own_blocks(app, auth):
    campaign, _, _ = ready_campaign(_org())
    client = _client(auth, campaign.organization)
    form = _form(campaign, op="add:columns")
    page = client.post(f"/console/campaigns/{campaign.id}/blocks", data=form, headers={"HX-Request": "true"}).text
    assert 'name="b-4-left-1-type" value="text"' in page and 'name="b-4-right-1-type" value="text"' in page
    form = {
        **_form(campaign),
        "b-4-type": "columns",
        "b-4-left-1-type": "text",
        "b-4-left-1-markdown": "Left side",
        "b-4-right-1-type": "button",
        "b-4-right-1-label": "Right button",
        "b-4-right-1-url": "https://example.org/r",
    }
    assert client.post(f"/console/campaigns/{campaign.id}", data=form).status_code == 303
    saved = Campaign.get_by_id(campaign.id)
    assert saved.body_blocks[3]["right"][0]["label"] == "Right button"
    assert "Left side" in saved.body_html and "Right button" in saved.body_html


def test_the_preview_renders_the_unsaved_form_for_a_sample_contact_at_both_widths(app, auth):
    campaign, _, _ = ready_campaign(_org())
    client = _client(auth, campaign.organization)
    form = _form(campaign, subject="Hi {{ contact.first_name }}")
    page = client.post(f"/console/campaigns/{campaign.id}/preview", data=form).text
    assert "Hi Ana" in page  # the sample contact
    assert page.count('sandbox=""') == 2 and 'width="640"' in page and 'width="390"' in page
    srcdoc = re.search(r'srcdoc="([^"]*)"', page).group(1)
    assert "Hello Ana, see" in srcdoc and "&lt;table" in srcdoc  # the email, escaped into the attribute
    assert "Jl. Sudirman 1" in srcdoc  # the footer with the organization's address
    broken = client.post(f"/console/campaigns/{campaign.id}/preview", data=_form(campaign, subject="{{ nope }}"))
    assert "The preview cannot be shown yet" in broken.text and "nope" in broken.text


def test_the_composer_page_lets_the_preview_load_https_images(app, auth):
    campaign, _, _ = ready_campaign(_org())
    response = _client(auth, campaign.organization).get(f"/console/campaigns/{campaign.id}")
    assert "img-src 'self' data: blob: https:" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_the_live_count_follows_the_chosen_recipients(app, auth):
    org = _org()
    vip, staff = make_label(org, "VIP"), make_label(org, "Staff")
    for i in range(3):
        contacts.add_label(make_contact(org), vip.name)
    both = make_contact(org)
    contacts.add_label(both, vip.name)
    contacts.add_label(both, staff.name)
    gone = make_contact(org)
    contacts.add_label(gone, vip.name)
    contacts.unsubscribe(gone)
    client = _client(auth, org)
    count = client.post("/console/campaigns/audience-count", data={"aud-include_labels": [vip.id]}).text
    assert 'data-recipients="4"' in count and "1 more matching contact is skipped" in count
    count = client.post(
        "/console/campaigns/audience-count", data={"aud-include_labels": [vip.id], "aud-exclude_labels": [staff.id]}
    ).text
    assert 'data-recipients="3"' in count
    everyone = client.post("/console/campaigns/audience-count", data={"aud-all": "y"}).text
    assert 'data-recipients="4"' in everyone
    other_label = make_label(make_org(), "Theirs")
    refused = client.post("/console/campaigns/audience-count", data={"aud-include_labels": [other_label.id]}).text
    assert "No such label" in refused


def test_send_a_test_to_a_few_addresses(app, auth):
    campaign, _, _ = ready_campaign(_org())
    client = _client(auth, campaign.organization)
    response = client.post(
        f"/console/campaigns/{campaign.id}/test", data={"addresses": "me@example.org, you@example.org"}
    )
    assert response.status_code == 303
    tests = list(Outbox.select().where(Outbox.kind == "campaign_test").order_by(Outbox.to_email))
    assert [t.to_email for t in tests] == ["me@example.org", "you@example.org"]
    assert tests[0].subject.startswith("[Test] Hi") and "the map" in tests[0].html_body
    assert not CampaignRecipient.select().exists() and Campaign.get_by_id(campaign.id).state == "draft"
    six = ", ".join(f"p{i}@example.org" for i in range(6))
    client.post(f"/console/campaigns/{campaign.id}/test", data={"addresses": six})
    assert "At most 5 addresses." in client.get(f"/console/campaigns/{campaign.id}").text
    assert Outbox.select().where(Outbox.kind == "campaign_test").count() == 2


def test_a_test_send_without_addresses_and_a_template_without_a_name_say_so(app, auth):
    campaign, _, _ = ready_campaign(_org())
    client = _client(auth, campaign.organization)
    response = client.post(f"/console/campaigns/{campaign.id}/test", data={"addresses": ""})
    assert response.status_code == 303
    assert "Give at least one address." in client.get(f"/console/campaigns/{campaign.id}").text
    response = client.post(f"/console/campaigns/{campaign.id}/save-as-template", data={"name": ""})
    assert response.status_code == 303
    assert "Give the template a name." in client.get(f"/console/campaigns/{campaign.id}").text
    assert not Outbox.select().where(Outbox.kind == "campaign_test").exists()
    assert not campaign_templates.list_templates(campaign.organization_id).exists()


def test_schedule_cancel_and_send_now_follow_the_lifecycle(app, auth):
    campaign, _, _ = ready_campaign(_org())
    org = campaign.organization
    org.timezone = "Asia/Jakarta"
    org.save()
    client = _client(auth, org)
    page = client.get(f"/console/campaigns/{campaign.id}").text
    assert "Send now" in page and "Schedule" in page and "Pause" not in page
    when = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).astimezone(dt.timezone(dt.timedelta(hours=7)))
    local = when.strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/console/campaigns/{campaign.id}/schedule", data={"send_at": local})
    assert response.status_code == 303 and response.headers["Location"].endswith("/report")
    scheduled = Campaign.get_by_id(campaign.id)
    assert scheduled.state == "scheduled"
    assert scheduled.send_at == when.astimezone(dt.UTC).replace(tzinfo=None, second=0, microsecond=0)
    report = client.get(f"/console/campaigns/{campaign.id}/report").text
    assert "Cancel the schedule" in report
    # A scheduled campaign cannot be edited.
    client.post(f"/console/campaigns/{campaign.id}", data=_form(campaign, name="Changed"))
    assert Campaign.get_by_id(campaign.id).name == campaign.name
    client.post(f"/console/campaigns/{campaign.id}/cancel-schedule")
    assert Campaign.get_by_id(campaign.id).state == "draft"
    client.post(f"/console/campaigns/{campaign.id}/send")
    assert Campaign.get_by_id(campaign.id).state in ("sending", "sent")
    # Sending again is refused with the state named, nothing changes.
    again = client.post(f"/console/campaigns/{campaign.id}/send", follow_redirects=True).text
    assert "This cannot be done now: the campaign is" in again


def test_a_past_or_missing_schedule_time_is_refused(app, auth):
    campaign, _, _ = ready_campaign(_org())
    client = _client(auth, campaign.organization)
    for value in ("", "yesterday", "2001-01-01T10:00", "99999-01-01T10:00"):
        client.post(f"/console/campaigns/{campaign.id}/schedule", data={"send_at": value})
        assert Campaign.get_by_id(campaign.id).state == "draft"


def test_an_unready_campaign_says_why_it_cannot_be_sent(app, auth):
    org = _org()
    campaign = service.create(org, {"name": "Empty"})
    client = _client(auth, org)
    page = client.get(f"/console/campaigns/{campaign.id}").text
    assert "Before it can be sent" in page and "Choose who the campaign goes to." in page
    client.post(f"/console/campaigns/{campaign.id}/send")
    assert Campaign.get_by_id(campaign.id).state == "draft"


def test_pause_and_resume_a_sending_campaign(app, auth):
    campaign, _, _ = ready_campaign(_org())
    Campaign.update(state="sending").where(Campaign.id == campaign.id).execute()
    client = _client(auth, campaign.organization)
    assert "Pause sending" in client.get(f"/console/campaigns/{campaign.id}/report").text
    client.post(f"/console/campaigns/{campaign.id}/pause")
    assert Campaign.get_by_id(campaign.id).state == "paused"
    assert "Resume sending" in client.get(f"/console/campaigns/{campaign.id}/report").text
    client.post(f"/console/campaigns/{campaign.id}/resume")
    assert Campaign.get_by_id(campaign.id).state in ("sending", "sent")


@pytest.fixture
def smtp_auth(mail_app):
    """Sign-ins on the app that sends through the loopback SMTP server (campaigns go out)."""
    from tasks import huey
    from tests.conftest import Auth

    huey.immediate = True
    return Auth(mail_app[0])


def test_the_report_shows_figures_rates_links_hours_and_charts(smtp_auth):
    auth = smtp_auth
    campaign, _, people = ready_campaign(_org(), people=4)
    service.send(campaign)
    campaign = Campaign.get_by_id(campaign.id)
    rows = list(Outbox.select().where(Outbox.send_key == campaign.send_key).order_by(Outbox.id))
    assert rows, "the campaign's messages exist"
    # Opens and clicks recorded as the tracking routes' worker records them (a while after the hand-over).
    Outbox.update(sent_at=utcnow() - dt.timedelta(hours=1)).where(Outbox.send_key == campaign.send_key).execute()
    person, scanner = "Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 Mail", "Mimecast link scanner"
    for row in rows[:2]:
        tracking.record_open(tracking.open_url(row.id).rsplit("/", 1)[1], user_agent=person)
    tracking.record_click(
        tracking.click_url(rows[0].id, "https://example.org/map").rsplit("/", 1)[1], user_agent=person
    )
    tracking.record_open(tracking.open_url(rows[1].id).rsplit("/", 1)[1], user_agent=scanner)
    client = _client(auth, campaign.organization)
    page = client.get(f"/console/campaigns/{campaign.id}/report").text
    assert "Unique opens" in page and "50.0 %" in page  # 2 of 4 delivered
    assert "https://example.org/map" in page
    assert "Machines (privacy proxies, link scanners)" in page
    assert "Opens by hour of day" in page and 'class="hour-bars"' in page
    assert page.count('class="console-chart"') == 2
    assert "Export as CSV" in page
    fragment = client.get(f"/console/campaigns/{campaign.id}/report", headers={"HX-Request": "true"})
    assert 'id="campaign-figures"' in fragment.text and "<html" not in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]


def test_the_csv_export_runs_as_a_job_and_serves_its_file(smtp_auth):
    auth = smtp_auth
    campaign, _, _ = ready_campaign(_org(), people=3)
    service.send(campaign)
    client = _client(auth, campaign.organization)
    response = client.post(f"/console/campaigns/{campaign.id}/export")
    assert response.status_code == 303 and response.headers["Location"].endswith("#campaign-export")
    page = client.get(f"/console/campaigns/{campaign.id}/report").text
    link = re.search(r'href="(/console/campaigns/exports/\d+/file)"', page).group(1)
    data = client.get(link)
    assert data.status_code == 200 and data.mimetype == "text/csv"
    assert data.text.count("\n") == 4  # the header and three recipients
    stranger = _client(auth, _org())
    assert stranger.get(link).status_code == 404


def test_the_rollup_groups_by_category_and_label(smtp_auth):
    auth = smtp_auth
    campaign, label, _ = ready_campaign(_org(), people=2, category="newsletter")
    service.send(campaign)
    page = _client(auth, campaign.organization).get("/console/campaigns/rollup").text
    assert "newsletter" in page and label.name in page


def test_templates_are_renamed_and_deleted_from_the_list(app, auth):
    org = _org()
    template = campaign_templates.create_template(org, name="Old", html="<p>x</p>")
    client = _client(auth, org)
    assert "Old" in client.get("/console/campaigns").text
    client.post(f"/console/campaigns/templates/{template.id}/rename", data={"name": "New name"})
    assert campaign_templates.get_template(org.id, template.id).name == "New name"
    client.post(f"/console/campaigns/templates/{template.id}/delete")
    assert not campaign_templates.list_templates(org.id).exists()


def test_a_campaign_is_saved_as_a_template_and_duplicated(app, auth):
    campaign, _, _ = ready_campaign(_org())
    client = _client(auth, campaign.organization)
    client.post(f"/console/campaigns/{campaign.id}/save-as-template", data={"name": "Doors"})
    assert campaign_templates.list_templates(campaign.organization_id).get().name == "Doors"
    response = client.post(f"/console/campaigns/{campaign.id}/duplicate")
    copy = Campaign.get(Campaign.name == f"{campaign.name} (copy)")
    assert response.headers["Location"].endswith(f"/console/campaigns/{copy.id}")


def test_door_staff_cannot_see_compose_or_send(app, auth):
    campaign, _, _ = ready_campaign(_org())
    door = _client(auth, campaign.organization, "door")
    assert door.get("/console/campaigns").status_code == 403
    assert door.get(f"/console/campaigns/{campaign.id}").status_code == 403
    assert door.get(f"/console/campaigns/{campaign.id}/report").status_code == 403
    assert door.post(f"/console/campaigns/{campaign.id}/send").status_code == 403
    assert door.post(f"/console/campaigns/{campaign.id}/test", data={"addresses": "a@example.org"}).status_code == 403
    assert door.post("/console/campaigns/audience-count", data={"aud-all": "y"}).status_code == 403
    assert Campaign.get_by_id(campaign.id).state == "draft" and not Outbox.select().exists()


def test_another_organizations_campaign_is_a_404(app, auth):
    campaign, _, _ = ready_campaign(_org())
    template = campaign_templates.create_template(campaign.organization, name="T", html="<p>x</p>")
    stranger = _client(auth, _org(), "owner")
    assert stranger.get(f"/console/campaigns/{campaign.id}").status_code == 404
    assert stranger.get(f"/console/campaigns/{campaign.id}/report").status_code == 404
    assert f"template:{template.id}" not in stranger.get(f"/console/campaigns/new?template={template.id}").text
    for action in ("send", "pause", "resume", "cancel-schedule", "duplicate", "export", "preview", "blocks"):
        assert stranger.post(f"/console/campaigns/{campaign.id}/{action}").status_code == 404, action
    assert stranger.post(f"/console/campaigns/templates/{template.id}/delete").status_code == 404
    response = stranger.post("/console/campaigns/new", data={"name": "x", "start": f"template:{template.id}"})
    assert response.status_code == 404
    assert Campaign.get_by_id(campaign.id).state == "draft"


def test_every_post_needs_the_csrf_token(csrf_app):
    campaign, _, _ = ready_campaign(_org())
    user = make_member(campaign.organization, "manager")
    client = csrf_app.test_client()
    login = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").text).group(1)
    signed_in = client.post(
        "/login", data={"email": user.email, "password": "correct horse battery", "csrf_token": login}
    )
    assert signed_in.status_code == 302
    base = f"/console/campaigns/{campaign.id}"
    for url in (
        "/console/campaigns/new",
        base,
        f"{base}/blocks",
        f"{base}/preview",
        f"{base}/test",
        f"{base}/send",
        f"{base}/schedule",
        f"{base}/duplicate",
        f"{base}/export",
        "/console/campaigns/audience-count",
    ):
        assert client.post(url, data={"name": "x", "addresses": "a@example.org"}).status_code == 400, url
    assert Campaign.get_by_id(campaign.id).state == "draft" and Campaign.select().count() == 1
    # With the page's token the same post goes through.
    page = client.get(base).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert client.post(f"{base}/duplicate", data={"csrf_token": token}).status_code == 303
    assert Campaign.select().count() == 2


def test_the_console_speaks_indonesian(app, auth):
    org = _org()
    client = _client(auth, org)
    page = client.get("/console/campaigns", headers={"Accept-Language": "id"}).text
    assert "Belum ada kampanye." in page and "Tulis kampanye pertama Anda" in page
    count = client.post("/console/campaigns/audience-count", data={"aud-all": "y"}, headers={"Accept-Language": "id"})
    assert "0 penerima" in count.text


def test_bad_input_gets_a_clear_answer_never_a_500(app, auth):
    campaign, _, _ = ready_campaign(_org())
    client = _client(auth, campaign.organization)
    base = f"/console/campaigns/{campaign.id}"
    # A NUL character anywhere in a form is refused for every request.
    assert client.post(base, data=_form(campaign, subject="a\x00b")).status_code == 400
    # Numbers beyond any column and words where numbers go: field errors, nothing saved.
    huge = client.post(base, data=_form(campaign, **{"b-1-level": "99999999999999999999"}))
    assert huge.status_code == 422 and "Block 1 (heading)" in huge.text
    event = client.post(base, data=_form(campaign, **{"b-4-type": "event", "b-4-event_id": "NaN"}))
    assert event.status_code == 422 and "Block 4 (event)" in event.text
    body = urlencode(_form(campaign), doseq=True) + "&b-2-markdown=%ED%A0%80"  # a lone surrogate, as bytes
    lone = client.post(base, data=body, content_type="application/x-www-form-urlencoded")
    assert lone.status_code in (303, 400, 422)
    # Ids that cannot exist, in the audience and the URL.
    count = client.post("/console/campaigns/audience-count", data={"aud-include_labels": ["0", "-1", "9" * 30]})
    assert count.status_code == 200
    missing = client.post("/console/campaigns/audience-count", data={"aud-event_id": "99999"})
    assert missing.status_code == 200 and "No such event" in missing.text
    assert client.get("/console/campaigns/99999999").status_code == 404
    # Block editor operations that make no sense change nothing.
    for op in ("up:0", "down:999", "add:marquee", "add:9-left:text", "remove:1-left-1", "explode"):
        fragment = client.post(f"{base}/blocks", data={**_form(campaign), "op": op}, headers={"HX-Request": "true"})
        assert fragment.status_code == 200, op
    # Wrong methods.
    assert client.get(f"{base}/send").status_code == 405
    assert client.get(f"{base}/preview").status_code == 405
    assert Campaign.get_by_id(campaign.id).state == "draft"
