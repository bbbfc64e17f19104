"""Newsletters end to end through a real SMTP server on loopback: the public form's double opt-in
(the email arrives, its link confirms), the registration form's box, a campaign to a newsletter
reaching only its confirmed subscribers, and one-click unsubscribe from that newsletter alone."""

from __future__ import annotations

import re

import pytest

from tasks import huey
from tests.campaigns.helpers import ready_campaign
from tests.factories.accounts import make_member
from tests.factories.catalog import make_product
from tests.factories.contacts import make_contact
from tests.factories.events import make_event
from tests.orders.helpers import form, register_url
from webapp.campaigns import service as campaigns
from webapp.campaigns.models import Campaign, CampaignRecipient
from webapp.contacts import newsletters
from webapp.contacts.models import Contact
from webapp.contacts.newsletter_models import NewsletterSubscription
from webapp.mail.models import Outbox


@pytest.fixture
def world(mail_app):
    huey.immediate = True
    app, inbox = mail_app
    campaign, _label, _people = ready_campaign(people=0)
    org = campaign.organization
    letter = newsletters.create(org.id, "Kopi Weekly", "Coffee news", actor=None)
    return {"app": app, "inbox": inbox, "org": org, "letter": letter, "draft": campaign}


def _link(message, pattern: str) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(rf"http://rollcall\.test({pattern}\S+)", text).group(1)


def _subscription(email: str) -> NewsletterSubscription:
    return NewsletterSubscription.select().join(Contact).where(Contact.email == email).get()


def test_the_public_form_sends_a_confirmation_and_its_link_confirms(world):
    browser = world["app"].test_client()
    key = world["letter"].public_key
    page = browser.get(f"/n/{key}")
    assert page.status_code == 200 and "Kopi Weekly" in page.get_data(as_text=True)
    answer = browser.post(f"/n/{key}", data={"email": "Ana@Example.org", "name": "Ana"})
    assert answer.status_code == 200 and "Check your inbox" in answer.get_data(as_text=True)
    assert _subscription("ana@example.org").state == "pending"
    assert Contact.get(Contact.email == "ana@example.org").status == "pending"  # new: no mail until confirmed

    (message,) = world["inbox"].wait_for(1)
    assert message["Subject"] == "Confirm your subscription to Kopi Weekly"
    assert "Kopi Weekly" in message.get_body(("plain",)).get_content()
    path = _link(message, "/s/")
    assert "Confirm my subscription" in browser.get(path).get_data(as_text=True)  # a scanner's GET confirms nothing
    assert _subscription("ana@example.org").state == "pending"
    assert "You are subscribed" in browser.post(path).get_data(as_text=True)
    subscription = _subscription("ana@example.org")
    assert subscription.state == "confirmed" and subscription.confirmed_at is not None
    assert Contact.get(Contact.email == "ana@example.org").status == "active"
    assert browser.post(path[:-2] + "xx").status_code == 404


def test_the_public_form_refuses_bad_input_and_is_rate_limited(world):
    browser = world["app"].test_client()
    key = world["letter"].public_key
    bad = browser.post(f"/n/{key}", data={"email": "not-an-address"})
    assert bad.status_code == 422 and 'id="nl-email-error"' in bad.get_data(as_text=True)
    assert browser.post(f"/n/{key}", data={"email": "a@example.org", "name": "x" * 300}).status_code == 422
    assert browser.post(f"/n/{key}", data={"email": "a@example.org", "name": "Ana\r\nBcc: x"}).status_code == 422
    assert browser.post(f"/n/{key}", data={"email": "a\x00@example.org"}).status_code == 400
    assert browser.get("/n/unknown-key").status_code == 404
    statuses = [
        browser.post(f"/n/{key}", data={"email": f"p{i}@example.org"}).status_code
        for i in range(newsletters.SIGNUPS_PER_ADDRESS + 2)
    ]
    assert statuses[: newsletters.SIGNUPS_PER_ADDRESS] == [200] * newsletters.SIGNUPS_PER_ADDRESS
    assert statuses[-1] == 429
    assert NewsletterSubscription.select().count() == newsletters.SIGNUPS_PER_ADDRESS


def test_a_campaign_to_the_newsletter_reaches_confirmed_subscribers_only_and_one_click_leaves_it(world):
    org, letter, inbox = world["org"], world["letter"], world["inbox"]
    confirmed = [make_contact(org, email=f"fan{i}@example.org") for i in range(2)]
    for contact in confirmed:
        subscription = newsletters.subscribe(letter, contact.email)
        newsletters.confirm(subscription)
    newsletters.subscribe(letter, "waiting@example.org")  # pending: never sent to
    left = make_contact(org, email="left@example.org")
    gone = newsletters.subscribe(letter, left.email)
    newsletters.confirm(gone)
    newsletters.unsubscribe(gone)
    make_contact(org, email="outsider@example.org")  # active contact, not on the list
    inbox.messages.clear()

    campaign = world["draft"]
    campaigns.update(campaign, {"audience": {"newsletter_id": letter.id}})
    assert campaigns.audience.count(org.id, Campaign.get_by_id(campaign.id).audience)["recipients"] == 2
    campaigns.send(Campaign.get_by_id(campaign.id))
    received = [m for m in inbox.messages if m["Message-ID"] and f"<c{campaign.id}." in m["Message-ID"]]
    assert sorted(m["To"].addresses[0].addr_spec for m in received) == ["fan0@example.org", "fan1@example.org"]
    assert (
        not CampaignRecipient.select()
        .where(CampaignRecipient.email.in_(["waiting@example.org", "left@example.org"]))
        .exists()
    )

    message = received[0]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https = re.findall(r"<([^>]+)>", message["List-Unsubscribe"])[1]
    path = "/" + https.split("://", 1)[1].split("/", 1)[1]
    client = world["app"].test_client()
    page = client.get(path).get_data(as_text=True)
    assert "Kopi Weekly" in page  # the page says what is left: this newsletter
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200  # no session, no CSRF
    who = message["To"].addresses[0].addr_spec
    assert _subscription(who).state == "unsubscribed"
    assert Contact.get(Contact.email == who).status == "active"  # other mail still reaches them
    recipient = CampaignRecipient.get(CampaignRecipient.email == who)
    assert recipient.unsubscribed_at is not None  # counted in the campaign's report


def test_leaving_by_the_subscription_link_is_one_click_too(world):
    letter = world["letter"]
    subscription = newsletters.subscribe(letter, "ana@example.org")
    newsletters.confirm(subscription)
    client = world["app"].test_client()
    url = newsletters.unsubscribe_url(subscription).replace("http://rollcall.test", "")
    assert "Unsubscribe" in client.get(url).get_data(as_text=True)
    assert _subscription("ana@example.org").state == "confirmed"
    assert client.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert _subscription("ana@example.org").state == "unsubscribed"
    assert client.post("/n/u/nope", data={}).status_code == 404


def test_the_registration_form_offers_the_newsletter_unticked_and_a_tick_asks_for_confirmation(world):
    org, letter, inbox = world["org"], world["letter"], world["inbox"]
    event = make_event(org, name="Latte Art Night")
    ticket = make_product(event, name="Free entry")
    client = world["app"].test_client()
    before = client.get(register_url(event)).get_data(as_text=True)
    assert "Subscribe me to" not in before  # no newsletter linked: no box
    manager = make_member(org, "manager")
    console = world["app"].test_client()
    console.post("/login", data={"email": manager.email, "password": "correct horse battery"})
    console.post("/switch-org", data={"org_id": org.id})
    assert console.post(f"/console/events/{event.id}/newsletter", data={"newsletter_id": "abc"}).status_code == 422
    assert console.post(f"/console/events/{event.id}/newsletter", data={"newsletter_id": letter.id}).status_code == 303

    page = client.get(register_url(event)).get_data(as_text=True)
    box = re.search(r'<input type="checkbox" name="newsletter"[^>]*>', page).group(0)
    assert "checked" not in box and "Subscribe me to Kopi Weekly" in page

    inbox.messages.clear()
    client.post(register_url(event), data=form({ticket: 1}, buyer_email="budi@example.org", buyer_name="Budi"))
    assert not NewsletterSubscription.select().exists()  # not ticked: nothing
    assert not Outbox.select().where(Outbox.kind == "subscription").exists()

    answer = client.post(register_url(event), data=form({ticket: 1}, newsletter="y"))
    assert answer.status_code == 303
    subscription = _subscription("ana@example.org")
    assert (subscription.state, subscription.source) == ("pending", "registration")
    assert Contact.get(Contact.email == "ana@example.org").status == "active"  # a registrant keeps their mail
    confirmation = [m for m in inbox.wait_for(3) if m["Subject"] == "Confirm your subscription to Kopi Weekly"]
    assert [m["To"].addresses[0].addr_spec for m in confirmation] == ["ana@example.org"]
    client.post(_link(confirmation[0], "/s/"))
    assert _subscription("ana@example.org").state == "confirmed"

    console_page = console.get(f"/console/events/{event.id}/newsletter").get_data(as_text=True)
    assert 'id="newsletter-confirmed">1<' in console_page
