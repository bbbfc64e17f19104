"""A campaign through a real SMTP server on loopback: personalized, DKIM-signed, with its own
Message-ID and both List-Unsubscribe forms; one-click unsubscribe stops the next campaign; bounces,
retries and the pause after a run of failures."""

from __future__ import annotations

import re
import smtplib

import pytest

from tasks import huey
from tests.campaigns.helpers import BODY, ready_campaign, verifies
from tests.factories.accounts import make_org
from tests.factories.contacts import make_contact
from tests.smtp import Inbox
from webapp.api import webhooks
from webapp.api.models import WebhookDelivery
from webapp.campaigns import bounces, delivery, handover, reports, service
from webapp.campaigns.bounce_models import MailBounce
from webapp.campaigns.models import Campaign, CampaignRecipient
from webapp.contacts import service as contacts
from webapp.contacts.models import Activity, Contact
from webapp.db import utcnow
from webapp.mail import service as mail
from webapp.mail.models import Outbox, SendingDomain
from webapp.work.models import Job


@pytest.fixture
def mailer(mail_app):
    huey.immediate = True
    return mail_app[1]


def _sent(inbox: Inbox, campaign: Campaign) -> list:
    return [m for m in inbox.messages if m["Message-ID"] and f"<c{campaign.id}." in m["Message-ID"]]


def _html(message) -> str:
    return message.get_body(("html",)).get_content()


def test_a_campaign_to_a_label_arrives_signed_personalized_and_unsubscribable(mailer):
    campaign, _, people = ready_campaign(names=["Ana Putri", "Budi Santoso", ""])
    service.send(campaign)

    received = _sent(mailer, campaign)
    assert len(received) == 3
    assert len({m["Message-ID"] for m in received}) == 3
    domain = SendingDomain.get(SendingDomain.organization == campaign.organization_id)
    for envelope in mailer.envelopes:
        assert verifies(envelope.content, domain)
    by_to = {m["To"].addresses[0].addr_spec: m for m in received}
    ana = by_to[people[0].email]
    assert ana["Subject"] == "Hi Ana: doors open at 8"
    assert ana["From"].addresses[0].addr_spec == "hello@news.example.org"
    assert ana["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    mailto, https = re.findall(r"<([^>]+)>", ana["List-Unsubscribe"])
    assert mailto.startswith("mailto:") and https.startswith("http") and "/m/u/" in https
    body = _html(ana)
    assert "Hello Ana," in body and "Jl. Sudirman 1" in body and https in body
    assert "/m/c/" in body and "https://example.org/map" not in body  # the link goes through the redirect
    assert "/m/o/" in body  # the open image
    assert "Hello there," in _html(by_to[people[2].email])  # no first name: the default
    assert "Jl. Sudirman 1" in by_to[people[1].email].get_body(("plain",)).get_content()

    campaign = Campaign.get_by_id(campaign.id)
    assert campaign.state == "sent" and campaign.finished_at is not None
    # The campaign's parts, one job each (the first resolved the audience), each counting its own.
    parts = [
        j
        for j in Job.select().where(Job.kind == delivery.KIND).order_by(Job.id)
        if j.params["campaign_id"] == campaign.id
    ]
    assert campaign.job_id == parts[0].id and len(parts) == 2
    assert {j.state for j in parts} == {"done"}
    assert (sum(j.processed for j in parts), sum(j.total for j in parts)) == (3, 3)
    rows = list(CampaignRecipient.select().where(CampaignRecipient.campaign == campaign.id))
    assert {r.status for r in rows} == {"sent"}
    assert {r.message_id for r in rows} == {m["Message-ID"] for m in received}
    outbox = Outbox.get(Outbox.message_id == ana["Message-ID"])
    assert (outbox.state, outbox.send_key, outbox.contact_id) == ("sent", f"campaign:{campaign.id}", people[0].id)
    assert Activity.select().where((Activity.contact == people[0].id) & (Activity.kind == "emailed")).count() == 1


def test_through_a_pipelining_server_non_ascii_mail_verifies_and_refusals_keep_their_outcomes(mailer):
    mailer.pipelining = True  # MAIL, RCPT and DATA arrive in one write
    campaign, _, people = ready_campaign(
        names=["Zoë Ünal", "Budi Santoso", "Łukasz Wójcik"],
        subject="Halo {{ contact.first_name }} — pintu dibuka jam 8",
        from_name="Tim Acara Ñusantara",
    )
    mailer.refuse.add(people[1].email)  # 550 at RCPT TO
    mailer.fail_next = 1  # 451 at the end of the first message's data
    service.send(campaign)

    rows = {r.contact_id: r for r in CampaignRecipient.select().where(CampaignRecipient.campaign == campaign.id)}
    assert rows[people[1].id].status == "bounced" and "550" in rows[people[1].id].error
    assert sorted(r.status for r in rows.values()) == ["bounced", "deferred", "sent"]
    CampaignRecipient.update(next_attempt_at=utcnow().replace(year=2000)).where(
        CampaignRecipient.status == "deferred"
    ).execute()
    assert delivery.resume_due() == 1

    received = _sent(mailer, campaign)
    assert len(received) == 2
    domain = SendingDomain.get(SendingDomain.organization == campaign.organization_id)
    assert all(verifies(envelope.content, domain) for envelope in mailer.envelopes)
    by_to = {m["To"].addresses[0].addr_spec: m for m in received}
    zoe, lukasz = by_to[people[0].email], by_to[people[2].email]
    assert zoe["Subject"] == "Halo Zoë — pintu dibuka jam 8"
    assert lukasz["Subject"] == "Halo Łukasz — pintu dibuka jam 8"
    assert zoe["To"].addresses[0].display_name == "Zoë Ünal"
    assert zoe["From"].addresses[0].display_name == "Tim Acara Ñusantara"
    assert "Hello Zoë," in _html(zoe)
    assert Campaign.get_by_id(campaign.id).state == "sent"


def test_one_click_unsubscribe_without_session_stops_the_next_campaign(mailer, mail_app):
    client = mail_app[0].test_client()
    campaign, label, people = ready_campaign()
    service.send(campaign)
    message = _sent(mailer, campaign)[0]
    https = re.findall(r"<([^>]+)>", message["List-Unsubscribe"])[1]
    path = https.split("://", 1)[1].split("/", 1)[1]

    response = client.post(f"/{path}", data={"List-Unsubscribe": "One-Click"})  # no session, no CSRF token
    assert response.status_code == 200
    who = message["To"].addresses[0].addr_spec
    assert Contact.get(Contact.email == who).status == "unsubscribed"
    assert reports.basic(Campaign.get_by_id(campaign.id))["unsubscribes"] == 1
    assert client.post("/m/u/not-a-token", data={"List-Unsubscribe": "One-Click"}).status_code == 404

    follow_up, _, _ = ready_campaign(Campaign.get_by_id(campaign.id).organization, people=0)
    service.update(follow_up, {"audience": {"include_labels": [label.id]}})
    service.send(follow_up)
    second = _sent(mailer, follow_up)
    assert len(second) == 2 and who not in {m["To"].addresses[0].addr_spec for m in second}
    skipped = CampaignRecipient.get((CampaignRecipient.campaign == follow_up.id) & (CampaignRecipient.email == who))
    assert (skipped.status, skipped.skip_reason) == ("skipped", "unsubscribed")


def test_a_refused_address_bounces_and_marks_the_contact(mailer):
    campaign, _, people = ready_campaign()
    webhooks.create_endpoint(campaign.organization_id, url="https://hooks.example.org/in", topics=["campaign.bounced"])
    webhooks.forget_subscriptions()
    mailer.refuse.add(people[1].email)  # the SMTP server answers 550 5.1.1 at RCPT TO
    service.send(campaign)
    row = CampaignRecipient.get(CampaignRecipient.contact == people[1].id)
    assert row.status == "bounced" and "550" in row.error
    assert Contact.get_by_id(people[1].id).status == "bounced"
    # The refusal went through the bounce path, as a DSN for that message would have.
    bounce = MailBounce.get(MailBounce.contact_id == people[1].id)
    assert (bounce.kind, bounce.status, bounce.outbox_id) == ("hard", "5.1.1", row.outbox_id)
    assert bounce.campaign_id == campaign.id and "No such user" in bounce.diagnostic
    assert not MailBounce.select().where(MailBounce.contact_id != people[1].id).exists()
    bounced_on_timeline = Activity.select().where(
        (Activity.contact == people[1].id) & (Activity.kind == "email_bounced")
    )
    assert bounced_on_timeline.count() == 1
    hooks = list(WebhookDelivery.select().where(WebhookDelivery.topic == "campaign.bounced"))
    assert [h.payload["data"]["contact"]["email"] for h in hooks] == [people[1].email]
    assert Outbox.get_by_id(row.outbox_id).state == "failed"
    figures = reports.basic(Campaign.get_by_id(campaign.id))
    assert (figures["delivered"], figures["bounced_hard"], figures["sent"]) == (2, 1, 3)
    assert Campaign.get_by_id(campaign.id).state == "sent"


def test_a_soft_failure_is_deferred_then_sent_by_a_later_run(mailer):
    campaign, _, people = ready_campaign(people=2)
    mailer.fail_next = 1
    service.send(campaign)
    deferred = CampaignRecipient.get(CampaignRecipient.status == "deferred")
    assert deferred.soft_failures == 1 and deferred.next_attempt_at is not None
    assert Campaign.get_by_id(campaign.id).state == "sending"

    CampaignRecipient.update(next_attempt_at=deferred.next_attempt_at.replace(year=2000)).execute()
    assert delivery.resume_due() == 1
    again = CampaignRecipient.get_by_id(deferred.id)
    assert again.status == "sent" and again.message_id == deferred.message_id  # same Message-ID
    assert Campaign.get_by_id(campaign.id).state == "sent"
    assert reports.basic(Campaign.get_by_id(campaign.id))["bounced_soft"] == 1


def test_a_run_of_failures_pauses_the_campaign_with_the_reason(mailer):
    org = make_org()
    org.campaign_failure_limit = 3
    org.save()
    campaign, label, _ = ready_campaign(org, people=30)
    mailer.fail_next = 1000
    service.send(campaign)
    campaign = Campaign.get_by_id(campaign.id)
    assert campaign.state == "paused"
    assert "failed hand-overs in a row" in campaign.paused_reason and "451" in campaign.paused_reason
    rows = list(CampaignRecipient.select())
    assert not any(r.status == "sent" for r in rows)
    # Only the messages already on their way were tried: the rest wait, untried.
    untried = [r for r in rows if r.attempts == 0]
    assert untried and all(r.status == "queued" for r in untried)

    mailer.fail_next = 0
    CampaignRecipient.update(next_attempt_at=None).execute()
    latecomer = make_contact(org)
    contacts.add_label(latecomer, label.name)  # joined after the send started: not a recipient
    service.resume(campaign)
    assert Campaign.get_by_id(campaign.id).state == "sent"
    assert len(_sent(mailer, campaign)) == 30
    assert not CampaignRecipient.select().where(CampaignRecipient.contact == latecomer.id).exists()


def test_delivery_fires_the_webhook_and_an_unverified_sender_cannot_launch(mailer):
    campaign, _, _ = ready_campaign(people=2)
    webhooks.create_endpoint(
        campaign.organization_id, url="https://hooks.example.org/in", topics=["campaign.delivered"]
    )
    webhooks.forget_subscriptions()
    service.send(campaign)
    deliveries = list(WebhookDelivery.select().where(WebhookDelivery.topic == "campaign.delivered"))
    assert len(deliveries) == 2
    data = deliveries[0].payload["data"]
    assert data["message"]["campaign_id"] == campaign.id and data["contact"]["email"]

    other, _, _ = ready_campaign(people=1, from_email="hello@unverified.example.org")
    with pytest.raises(service.CampaignError) as caught:
        service.send(other)
    assert "from_email" in caught.value.fields
    assert Campaign.get_by_id(other.id).state == "draft"


def test_a_contact_unsubscribed_with_the_old_link_is_skipped_too(mailer):
    campaign, _, people = ready_campaign(people=2)
    contacts.unsubscribe(people[0])
    service.send(campaign)
    assert len(_sent(mailer, campaign)) == 1


def test_smtp_errors_are_classified_hard_or_soft():
    assert handover._is_hard(smtplib.SMTPRecipientsRefused({"a@b.c": (550, b"no")}))
    assert not handover._is_hard(smtplib.SMTPDataError(451, b"later"))
    assert handover._is_hard(smtplib.SMTPDataError(554, b"rejected"))


def test_a_later_bounce_report_and_a_complaint_change_the_report_and_the_contact(mailer):
    campaign, _, people = ready_campaign(people=3)
    service.send(campaign)
    first, second = (CampaignRecipient.get(CampaignRecipient.contact == p.id) for p in people[:2])
    bounces.bounced(Outbox.get(Outbox.message_id == first.message_id), hard=True, reason="5.1.1 user unknown")
    bounces.complained(Outbox.get(Outbox.message_id == second.message_id), reason="abuse report")
    figures = reports.basic(Campaign.get_by_id(campaign.id))
    assert (figures["delivered"], figures["bounced_hard"], figures["complaints"]) == (2, 1, 1)
    assert Contact.get_by_id(people[0].id).status == "bounced"
    assert Contact.get_by_id(people[1].id).status == "complained"
    assert Activity.select().where((Activity.contact == people[0].id) & (Activity.kind == "email_bounced")).exists()


def test_a_campaign_message_is_not_resent_from_the_mail_log(mailer):
    campaign, _, _ = ready_campaign(people=1)
    service.send(campaign)
    row = Outbox.get(Outbox.send_key == campaign.send_key)
    with pytest.raises(mail.NotResent):
        mail.resend(row, actor=None)


def test_campaign_mail_unsubscribes_only_through_its_own_link_which_counts_in_the_report(mailer, mail_app):
    """The older /u/<contact token> link names no message, so it could not count for a campaign:
    one pasted into a body (the operator's own, copied from an email) goes out as each recipient's
    own message link."""
    org = make_org()
    operator = make_contact(org, "operator@example.org")
    pasted = contacts.unsubscribe_url(operator)
    body = BODY.replace("</body>", f'<p><a href="{pasted}">Stop these emails</a></p></body>')
    campaign, _, people = ready_campaign(org, people=2, body_html=body, body_text=f"Hello\n\nStop: {pasted}\n")
    service.send(campaign)

    received = _sent(mailer, campaign)
    assert len(received) == 2
    for message in received:
        everything = str(message["List-Unsubscribe"]) + _html(message) + message.get_body(("plain",)).get_content()
        assert "/u/" not in everything.replace("/m/u/", "")
    first = received[0]
    own = re.findall(r"<([^>]+)>", first["List-Unsubscribe"])[1]
    assert (
        re.search(f'href="{re.escape(own)}"[^>]*>Stop these emails', _html(first))
        and f"Stop: {own}" in first.get_body(("plain",)).get_content()
    )

    client = mail_app[0].test_client()
    assert client.post("/" + own.split("://", 1)[1].split("/", 1)[1]).status_code == 200
    who = first["To"].addresses[0].addr_spec
    assert Contact.get(Contact.email == who).status == "unsubscribed"
    assert Contact.get_by_id(operator.id).status != "unsubscribed"
    assert reports.basic(Campaign.get_by_id(campaign.id))["unsubscribes"] == 1
