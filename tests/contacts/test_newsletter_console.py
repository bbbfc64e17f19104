"""Newsletters in the console: the list and its empty state, errors beside the fields, a
newsletter's subscribers with their states and the campaigns sent to it; managers only, and
another organization's newsletter answers 404."""

from __future__ import annotations

from tests.campaigns.helpers import ready_campaign
from tests.factories.accounts import make_member, make_org
from webapp.campaigns import service as campaigns
from webapp.contacts import newsletters
from webapp.contacts.newsletter_models import Newsletter


def test_a_manager_creates_a_newsletter_and_reads_its_subscribers_and_campaigns(app, auth):
    org = make_org()
    client = auth.client_for(make_member(org, "manager"), org)
    empty = client.get("/console/newsletters/").get_data(as_text=True)
    assert "No newsletters yet" in empty
    refused = client.post("/console/newsletters/", data={"name": "", "description": ""})
    assert refused.status_code == 422 and 'id="newsletter-name-error"' in refused.get_data(as_text=True)
    assert client.post("/console/newsletters/", data={"name": "Kopi\tWeekly"}).status_code == 422
    made = client.post("/console/newsletters/", data={"name": "Kopi Weekly", "description": "Coffee news"})
    assert made.status_code == 303
    letter = Newsletter.get(Newsletter.organization == org.id)
    newsletters.confirm(newsletters.subscribe(letter, "ana@example.org"))
    newsletters.subscribe(letter, "budi@example.org")
    campaign, _, _ = ready_campaign(org, people=0)
    campaigns.update(campaign, {"audience": {"newsletter_id": letter.id}})

    page = client.get(f"/console/newsletters/{letter.id}").get_data(as_text=True)
    assert "ana@example.org" in page and "budi@example.org" in page
    assert "confirmed" in page and "pending" in page
    assert campaign.name in page and f"/n/{letter.public_key}" in page
    pending_only = client.get(f"/console/newsletters/{letter.id}?state=pending").get_data(as_text=True)
    assert "budi@example.org" in pending_only and "ana@example.org" not in pending_only
    listing = client.get("/console/newsletters/").get_data(as_text=True)
    assert "Kopi Weekly" in listing


def test_only_managers_of_the_organization_reach_newsletters(app, auth):
    org = make_org()
    letter = newsletters.create(org.id, "Kopi Weekly", actor=None)
    member = auth.client_for(make_member(org, "member"), org)
    assert member.get("/console/newsletters/").status_code == 403
    assert member.post(f"/console/newsletters/{letter.id}/delete").status_code == 403
    other_org = make_org()
    stranger = auth.client_for(make_member(other_org, "owner"), other_org)
    assert stranger.get(f"/console/newsletters/{letter.id}").status_code == 404
    assert stranger.post(f"/console/newsletters/{letter.id}", data={"name": "Mine"}).status_code == 404
    assert Newsletter.get_by_id(letter.id).name == "Kopi Weekly"
