"""The bounce mailbox: DSNs (RFC 3464) and spam complaints (ARF, RFC 5965) sent through a real SMTP
client to the bounce server running on loopback change the contact, for transactional mail and
campaigns alike."""

from __future__ import annotations

import datetime as dt
import re
import smtplib

import pytest

from tasks import huey
from tests.campaigns.helpers import ready_campaign
from tests.factories.accounts import make_org
from tests.factories.contacts import make_contact
from tests.smtp import free_port
from webapp import signals
from webapp.campaigns import bounce_server, bounces, reports, service
from webapp.campaigns.bounce_models import MailBounce
from webapp.campaigns.models import Campaign, CampaignRecipient
from webapp.contacts.models import Activity, Contact
from webapp.db import utcnow
from webapp.mail import bounce_address, consent
from webapp.mail import service as mail
from webapp.mail.models import Outbox

BOUNCES = "bounces@rollcall.test"


@pytest.fixture
def bounce_app(database_url, tmp_path, smtp_server):
    """The app sending through the loopback SMTP server, with a bounce mailbox whose server runs on
    loopback too; yields (app, inbox, bounce server port)."""
    from tests.conftest import make_test_app
    from webapp.db import db

    app = make_test_app(tmp_path, database_url, ENVIRON={"SMTP_URL": smtp_server.url, "BOUNCE_ADDRESS": BOUNCES})
    port = free_port()
    server = bounce_server.controller(app, "127.0.0.1", port)
    server.start()
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            yield app, smtp_server, port
        finally:
            server.stop()
            if not db.is_closed():
                db.close()


@pytest.fixture
def mail_events():
    seen = []

    def receiver(sender, **kwargs):
        seen.append(kwargs)

    signals.mail_event.connect(receiver, weak=False)
    yield seen
    signals.mail_event.disconnect(receiver)


def _send_report(port: int, message: bytes, rcpt: str = BOUNCES) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail("MAILER-DAEMON@mx.example.net", [rcpt], message)


def _report(report_type: str, subject: str, parts: list[tuple[str, str]]) -> bytes:
    """A multipart/report as mail servers write it: each part its content type and body."""
    boundary = "=_report_boundary_42"
    lines = [
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>",
        f"To: {BOUNCES}",
        f"Subject: {subject}",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type={report_type}; boundary="{boundary}"',
        "",
        "This is a MIME-encapsulated message.",
    ]
    for content_type, body in parts:
        lines += [f"--{boundary}", f"Content-Type: {content_type}", "", body.rstrip("\n")]
    lines.append(f"--{boundary}--")
    return ("\r\n".join(lines) + "\r\n").replace("\r\n", "\n").replace("\n", "\r\n").encode()


def _returned(recipient: str, message_id: str, subject: str = "Hello") -> str:
    return f"From: Acme <news@acme.test>\nTo: {recipient}\nSubject: {subject}\nMessage-ID: {message_id}\n"


def _dsn(recipient: str, *, action="failed", status="5.1.1", message_id=None, headers_only=True, extra="") -> bytes:
    fields = (
        "Reporting-MTA: dns; mx.example.net\nArrival-Date: Sat, 5 Dec 2026 10:00:00 +0000\n\n"
        f"Final-Recipient: rfc822; {recipient}\nOriginal-Recipient: rfc822;{recipient}\n"
        f"Action: {action}\nStatus: {status}\n"
        f"Diagnostic-Code: smtp; 550 {status} <{recipient}>: Recipient address rejected: User unknown\n{extra}"
    )
    parts = [
        ("text/plain", "This is the mail system at host mx.example.net.\n\nI'm sorry..."),
        ("message/delivery-status", fields),
    ]
    if message_id:
        if headers_only:
            parts.append(("text/rfc822-headers", _returned(recipient, message_id)))
        else:
            parts.append(("message/rfc822", _returned(recipient, message_id) + "\nHello there\n"))
    return _report("delivery-status", "Undelivered Mail Returned to Sender", parts)


def _arf(recipient: str, message_id: str, *, with_rcpt_to=True) -> bytes:
    feedback = "Feedback-Type: abuse\nUser-Agent: SomeGenerator/1.0\nVersion: 1\n"
    if with_rcpt_to:
        feedback += f"Original-Rcpt-To: <{recipient}>\n"
    return _report(
        "feedback-report",
        "complaint about message from 192.0.2.1",
        [
            ("text/plain", "This is an email abuse report for an email message received from IP 192.0.2.1."),
            ("message/feedback-report", feedback),
            ("message/rfc822", _returned(recipient, message_id, "Big news") + "\nBig news inside\n"),
        ],
    )


def _ticket_email(org, to="ana@example.org") -> Outbox:
    return mail.queue_email(
        kind="ticket", to_email=to, subject="Your ticket", text_body="Ticket\n", organization=org, send_key="ticket"
    )


def test_a_hard_bounce_of_a_transactional_email_marks_the_contact_bounced(bounce_app, mail_events):
    app, inbox, port = bounce_app
    org = make_org()
    contact = make_contact(org, "ana@example.org")
    row = _ticket_email(org)
    inbox.wait_for(1)
    envelope_from = inbox.envelopes[0].mail_from
    assert envelope_from.startswith("bounces+") and envelope_from.endswith("@rollcall.test")
    assert bounce_address.outbox_id_of(envelope_from) == row.id

    _send_report(port, _dsn("ana@example.org", message_id=row.message_id), rcpt=envelope_from)

    assert Contact.get_by_id(contact.id).status == "bounced"
    (bounce,) = MailBounce.select()
    assert (bounce.kind, bounce.status, bounce.found_by, bounce.outbox_id) == ("hard", "5.1.1", "token", row.id)
    assert "User unknown" in bounce.diagnostic
    kinds = [a.kind for a in Activity.select().where(Activity.contact == contact.id)]
    assert "email_bounced" in kinds and "status_changed" in kinds
    assert {"event": "bounced", "outbox_ids": [row.id]} in mail_events


def test_a_complaint_unsubscribes_the_contact_as_complained(bounce_app, mail_events):
    app, inbox, port = bounce_app
    org = make_org()
    contact = make_contact(org, "budi@example.org")
    row = _ticket_email(org, "budi@example.org")

    _send_report(port, _arf("budi@example.org", row.message_id))  # to the plain address: no token

    contact = Contact.get_by_id(contact.id)
    assert contact.status == "complained"
    (bounce,) = MailBounce.select()
    assert (bounce.kind, bounce.action, bounce.found_by) == ("complaint", "abuse", "message_id")
    assert Activity.select().where((Activity.contact == contact.id) & (Activity.kind == "email_complained")).exists()
    assert {"event": "complained", "outbox_ids": [row.id]} in mail_events
    # A complained contact gets no more promotional mail.
    assert consent.recipient(org.id, "budi@example.org").skip_reason


def test_a_complaint_without_its_recipient_is_matched_by_the_returned_message(bounce_app):
    app, inbox, port = bounce_app
    org = make_org()
    contact = make_contact(org, "cici@example.org")
    row = _ticket_email(org, "cici@example.org")
    _send_report(port, _arf("cici@example.org", row.message_id, with_rcpt_to=False))
    assert Contact.get_by_id(contact.id).status == "complained"


def _campaign_recipient(org, contact, state="sending"):
    campaign = Campaign.create(organization=org, name="News", subject="Big news", state=state)
    message_id = f"<c{campaign.id}.r1.abc@acme.test>"
    outbox = Outbox.create(
        organization=org,
        message_id=message_id,
        kind="campaign",
        to_email=contact.email,
        from_email="news@acme.test",
        subject="Big news",
        text_body="",
        send_key=campaign.send_key,
        contact_id=contact.id,
        state="sent",
        sent_at=utcnow(),
    )
    recipient = CampaignRecipient.create(
        organization=org,
        campaign=campaign,
        contact=contact,
        email=contact.email,
        status="sent",
        message_id=message_id,
        outbox_id=outbox.id,
        sent_at=utcnow(),
    )
    return campaign, outbox, recipient


def test_a_campaign_message_bounced_by_message_id_marks_recipient_and_contact(bounce_app):
    app, inbox, port = bounce_app
    org = make_org()
    contact = make_contact(org, "dedi@example.org")
    campaign, outbox, recipient = _campaign_recipient(org, contact)

    _send_report(port, _dsn("dedi@example.org", message_id=outbox.message_id, headers_only=False))

    assert Contact.get_by_id(contact.id).status == "bounced"
    recipient = CampaignRecipient.get_by_id(recipient.id)
    assert recipient.status == "bounced" and "5.1.1" in recipient.error
    (bounce,) = MailBounce.select()
    assert (bounce.campaign_id, bounce.found_by) == (campaign.id, "message_id")


def test_a_campaign_bounce_and_complaint_fire_the_signed_webhooks(bounce_app):
    from webapp.api import webhooks
    from webapp.api.models import WebhookDelivery

    app, inbox, port = bounce_app
    org = make_org()
    webhooks.create_endpoint(
        org.id, url="https://hooks.example.org/in", topics=["campaign.bounced", "campaign.complained"]
    )
    webhooks.forget_subscriptions()
    bounced, complaining = make_contact(org, "lala@example.org"), make_contact(org, "mira@example.org")
    _, first, _ = _campaign_recipient(org, bounced)
    _, second, _ = _campaign_recipient(org, complaining)
    _send_report(port, _dsn("lala@example.org", message_id=first.message_id))
    _send_report(port, _arf("mira@example.org", second.message_id))
    topics = {d.topic: d.payload["data"] for d in WebhookDelivery.select()}
    assert set(topics) == {"campaign.bounced", "campaign.complained"}
    assert topics["campaign.bounced"]["contact"]["email"] == "lala@example.org"
    assert topics["campaign.complained"]["contact"]["email"] == "mira@example.org"


def test_a_complaint_about_a_campaign_message_counts_in_its_report(bounce_app):
    app, inbox, port = bounce_app
    org = make_org()
    contact = make_contact(org, "kiki@example.org")
    campaign, outbox, recipient = _campaign_recipient(org, contact)
    _send_report(port, _arf("kiki@example.org", outbox.message_id))
    assert CampaignRecipient.get_by_id(recipient.id).complained_at is not None
    assert reports.basic(Campaign.get_by_id(campaign.id), live=True)["complaints"] == 1
    assert Contact.get_by_id(contact.id).status == "complained"


def test_a_soft_bounce_of_a_campaign_message_defers_it_for_a_retry(bounce_app):
    app, inbox, port = bounce_app
    org = make_org()
    contact = make_contact(org, "eka@example.org")
    campaign, outbox, recipient = _campaign_recipient(org, contact)

    _send_report(port, _dsn("eka@example.org", status="4.2.2", message_id=outbox.message_id))

    recipient = CampaignRecipient.get_by_id(recipient.id)
    assert recipient.status == "deferred" and recipient.soft_failures == 1
    assert recipient.next_attempt_at > utcnow()
    assert Contact.get_by_id(contact.id).status == "active"
    assert MailBounce.get().kind == "soft"


def test_a_soft_bounce_of_a_transactional_email_sends_it_again_later(bounce_app):
    app, inbox, port = bounce_app
    org = make_org()
    contact = make_contact(org, "fajar@example.org")
    row = _ticket_email(org, "fajar@example.org")
    inbox.wait_for(1)

    _send_report(port, _dsn("fajar@example.org", status="4.2.2", message_id=row.message_id))

    assert Contact.get_by_id(contact.id).status == "active"
    bounce = MailBounce.get()
    assert bounce.kind == "soft" and bounce.retry_outbox_id
    again = Outbox.get_by_id(bounce.retry_outbox_id)
    assert again.state == "queued" and again.subject == "Your ticket" and again.to_email == "fajar@example.org"
    assert again.next_attempt_at > utcnow()  # with backoff
    assert Activity.select().where((Activity.contact == contact.id) & (Activity.kind == "email_soft_bounced")).exists()
    # When its time comes it is delivered.
    Outbox.update(next_attempt_at=utcnow() - dt.timedelta(seconds=1)).where(Outbox.id == again.id).execute()
    mail.deliver_many(mail.due_messages())
    assert len(inbox.wait_for(2)) == 2


def test_a_delayed_report_is_recorded_without_sending_again(bounce_app):
    app, inbox, port = bounce_app
    org = make_org()
    make_contact(org, "gita@example.org")
    row = _ticket_email(org, "gita@example.org")
    _send_report(port, _dsn("gita@example.org", action="delayed", status="4.4.7", message_id=row.message_id))
    bounce = MailBounce.get()
    assert (bounce.kind, bounce.action, bounce.retry_outbox_id) == ("soft", "delayed", None)
    assert Outbox.select().count() == 1


def test_without_message_id_or_token_the_recipient_address_finds_the_message(bounce_app):
    app, inbox, port = bounce_app
    org = make_org()
    contact = make_contact(org, "hana@example.org")
    _ticket_email(org, "hana@example.org")
    inbox.wait_for(1)
    _send_report(port, _dsn("Hana@Example.org"))
    assert Contact.get_by_id(contact.id).status == "bounced"
    assert MailBounce.get().found_by == "recipient"


def test_the_same_report_twice_is_recorded_once(bounce_app):
    app, inbox, port = bounce_app
    org = make_org()
    contact = make_contact(org, "indra@example.org")
    row = _ticket_email(org, "indra@example.org")
    for _ in range(2):
        _send_report(port, _dsn("indra@example.org", message_id=row.message_id))
    assert MailBounce.select().count() == 1
    assert Activity.select().where((Activity.contact == contact.id) & (Activity.kind == "email_bounced")).count() == 1


def test_a_report_about_mail_we_never_sent_changes_nobody(bounce_app):
    app, inbox, port = bounce_app
    org = make_org()
    contact = make_contact(org, "joko@example.org")  # a contact, but no message was sent to it
    _send_report(port, _dsn("joko@example.org", message_id="<made-up@elsewhere.example>"))
    forged = "bounces+1-000000000000@rollcall.test"
    _send_report(port, _dsn("joko@example.org"), rcpt=forged)
    assert Contact.get_by_id(contact.id).status == "active"
    assert MailBounce.select().count() == 0


def test_only_the_bounce_mailbox_is_accepted_and_plain_mail_is_dropped(bounce_app):
    app, inbox, port = bounce_app
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.sendmail("a@example.net", ["postmaster@elsewhere.example"], b"Subject: hi\r\n\r\nrelay me\r\n")
        refused = client.sendmail("a@example.net", [BOUNCES], b"Subject: Out of office\r\n\r\nI am away.\r\n")
    assert refused == {}
    assert MailBounce.select().count() == 0


def test_a_report_that_cannot_be_recorded_is_answered_451_to_be_sent_again(bounce_app, monkeypatch):
    app, inbox, port = bounce_app

    def broken(raw, recipients=None):
        raise RuntimeError("database is down")

    monkeypatch.setattr(bounces, "handle", broken)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        with pytest.raises(smtplib.SMTPDataError) as raised:
            client.sendmail("MAILER-DAEMON@mx.example.net", [BOUNCES], _dsn("x@example.org"))
    assert raised.value.smtp_code == 451


def test_parse_reads_every_recipient_of_a_dsn():
    report = _dsn(
        "a@example.org",
        message_id="<m1@acme.test>",
        extra="\nFinal-Recipient: rfc822; b@example.org\nAction: delayed\nStatus: 4.4.1\n"
        "\nFinal-Recipient: rfc822; c@example.org\nAction: delivered\nStatus: 2.0.0\n",
    )
    parsed = bounces.parse(report)
    assert [(r.recipient, r.kind, r.action, r.status, r.message_id) for r in parsed] == [
        ("a@example.org", "hard", "failed", "5.1.1", "<m1@acme.test>"),
        ("b@example.org", "soft", "delayed", "4.4.1", "<m1@acme.test>"),
    ]


def test_parse_ignores_what_is_not_a_report():
    assert bounces.parse(b"Subject: hello\r\n\r\nnot a report\r\n") == []
    assert bounces.parse(b"\x00\xff garbage") == []
    other = _report(
        "disposition-notification", "Read: hello", [("message/disposition-notification", "Disposition: displayed\n")]
    )
    assert bounces.parse(other) == []


def test_a_token_names_its_row_and_a_changed_one_names_none(app):
    assert bounce_address.envelope_sender(5) is None  # no bounce mailbox configured
    app.config["SETTINGS"] = app.config["SETTINGS"].__class__(
        **{**app.config["SETTINGS"].__dict__, "bounce_address": BOUNCES}
    )
    sender = bounce_address.envelope_sender(123456)
    assert bounce_address.outbox_id_of(sender) == 123456
    assert bounce_address.outbox_id_of(sender.upper()) == 123456  # servers may change the case
    local, _, domain = sender.partition("@")
    assert bounce_address.outbox_id_of(local[:-1] + ("0" if local[-1] != "0" else "1") + "@" + domain) is None
    assert bounce_address.outbox_id_of(BOUNCES) is None
    assert bounce_address.outbox_id_of("bounces+abc@elsewhere.example") is None


def _sent_campaign(inbox):
    """A campaign sent to two people: (campaign, its contacts, the first one's recipient row)."""
    huey.immediate = True
    campaign, _, people = ready_campaign(people=2)
    service.send(campaign)
    inbox.wait_for(2)
    first = CampaignRecipient.get(
        (CampaignRecipient.campaign == campaign.id) & (CampaignRecipient.contact == people[0].id)
    )
    return campaign, people, first


def test_a_campaign_message_carries_its_token_and_a_dsn_naming_only_the_token_bounces_it(bounce_app):
    app, inbox, port = bounce_app
    campaign, people, ana = _sent_campaign(inbox)
    (envelope,) = [e for e in inbox.envelopes if e.rcpt_tos == [ana.email]]
    assert bounce_address.outbox_id_of(envelope.mail_from) == ana.outbox_id
    later = _ticket_email(campaign.organization, to=ana.email)  # the latest message to the address
    inbox.wait_for(3)

    _send_report(port, _dsn(ana.email), rcpt=envelope.mail_from)  # no Message-ID: only the token says which

    assert CampaignRecipient.get_by_id(ana.id).status == "bounced"
    assert Contact.get_by_id(people[0].id).status == "bounced"
    (bounce,) = MailBounce.select()
    assert (bounce.outbox_id, bounce.campaign_id, bounce.found_by) == (ana.outbox_id, campaign.id, "token")
    assert Outbox.get_by_id(later.id).state == "sent"
    other = CampaignRecipient.get(
        (CampaignRecipient.campaign == campaign.id) & (CampaignRecipient.contact == people[1].id)
    )
    assert other.status == "sent"


def _list_unsubscribe_mailto(message) -> str:
    header = str(message["List-Unsubscribe"])
    mailto = re.search(r"<mailto:([^>?]+)(\?[^>]*)?>", header)
    assert mailto and "<https://" in header.replace("<http://", "<https://")
    return mailto.group(1)


def test_mail_to_the_list_unsubscribe_mailto_unsubscribes_the_contact(bounce_app, mail_events):
    app, inbox, port = bounce_app
    campaign, people, ana = _sent_campaign(inbox)
    (message,) = [m for m in inbox.messages if m["Message-ID"] == ana.message_id]
    address = _list_unsubscribe_mailto(message)
    assert address.startswith("bounces+unsubscribe-") and address.endswith("@rollcall.test")

    unsubscribe = f"From: {ana.email}\r\nTo: {address}\r\nSubject: unsubscribe\r\n\r\nunsubscribe\r\n"
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:  # as a mail client sends it (RFC 8058)
        client.sendmail(ana.email, [address], unsubscribe.encode())

    assert Contact.get_by_id(people[0].id).status == "unsubscribed"
    assert Contact.get_by_id(people[1].id).status == "active"
    assert CampaignRecipient.get_by_id(ana.id).unsubscribed_at is not None
    assert reports.basic(Campaign.get_by_id(campaign.id), live=True)["unsubscribes"] == 1
    assert {"event": "unsubscribed", "outbox_ids": [ana.outbox_id]} in mail_events
    assert not MailBounce.select().exists()


def test_an_unsubscribe_address_with_a_token_not_ours_is_refused(bounce_app):
    app, inbox, port = bounce_app
    org = make_org()
    contact = make_contact(org, "budi@example.org")
    _, outbox, recipient = _campaign_recipient(org, contact)
    good = bounce_address.unsubscribe_address(outbox.id)
    local, _, domain = good.partition("@")
    forged = f"{local[:-1]}{'0' if local[-1] != '0' else '1'}@{domain}"  # the signature changed
    assert forged != good and bounce_address.unsubscribe_outbox_id(forged) is None
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client, pytest.raises(smtplib.SMTPRecipientsRefused):
        client.sendmail("budi@example.org", [forged], b"Subject: unsubscribe\r\n\r\nunsubscribe\r\n")
    bounce_token = bounce_address.envelope_sender(outbox.id).replace("bounces+", "bounces+unsubscribe-")
    assert bounce_address.unsubscribe_outbox_id(bounce_token) is None  # a bounce token does not unsubscribe
    assert Contact.get_by_id(contact.id).status == "active"
    assert CampaignRecipient.get_by_id(recipient.id).unsubscribed_at is None
