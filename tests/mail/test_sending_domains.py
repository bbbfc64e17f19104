"""Sending domains: DKIM keys, the records to publish, DNS verification, signed mail."""

from __future__ import annotations

import dkim
import pytest

from tests.factories.accounts import make_member, make_org, make_user
from tests.factories.tickets import make_paid_order
from webapp import signals
from webapp.mail import dkim_keys, domains, service
from webapp.mail.models import EventMailSettings, SendingDomain


@pytest.fixture
def dns(monkeypatch):
    """A fake DNS zone: only the lookup function is replaced."""
    zone: dict[str, list[str]] = {}
    monkeypatch.setattr(dkim_keys, "lookup_txt", lambda name: list(zone.get(name.rstrip("."), [])))
    return zone


def publish(zone, row):
    for record in domains.records(row):
        zone.setdefault(record["name"], []).append(record["value"])


def test_domain_verifies_once_both_records_are_published(app, dns):
    org = make_org()
    row = domains.add_domain(org, "Events.Example.ORG.", actor=None)
    assert row.domain == "events.example.org"
    assert not domains.verify(row).verified
    assert "SPF and DKIM" in row.last_error

    publish(dns, row)
    row = domains.verify(row)
    assert row.verified and row.spf_ok and row.dkim_ok and row.last_error is None

    dns.clear()  # the records were removed
    assert not domains.verify(row).verified


def test_dns_failure_keeps_the_verdict(app, monkeypatch):
    org = make_org()
    row = domains.add_domain(org, "example.org", actor=None)
    row.verified_at = row.created_at
    row.save()

    def broken(name):
        raise LookupError("DNS lookup of example.org failed: timeout")

    monkeypatch.setattr(dkim_keys, "lookup_txt", broken)
    row = domains.verify(row)
    assert row.verified and "timeout" in row.last_error


@pytest.mark.parametrize("text", ["", "not a domain", "http://", "192.168.1.1", "-bad.example.org"])
def test_bad_domains_are_refused(app, text):
    with pytest.raises(domains.DomainError):
        domains.add_domain(make_org(), text, actor=None)


def _sender(order, email):
    EventMailSettings.create(
        organization=order.organization_id, event=order.event, sender_name="JTS Team", sender_email=email
    )


def test_mail_from_a_verified_domain_is_dkim_signed(mail_app, dns):
    app, inbox = mail_app
    order = make_paid_order(["Ana Putri"])
    row = domains.add_domain(order.organization, "summit.example.org", actor=None)
    publish(dns, row)
    domains.verify(row)
    _sender(order, "tickets@summit.example.org")

    signals.emit(signals.order_paid, order_id=order.id)

    (msg,) = inbox.wait_for(1)
    assert msg["From"] == "JTS Team <tickets@summit.example.org>"
    raw = inbox.envelopes[0].content
    assert b"DKIM-Signature:" in raw and b"d=summit.example.org" in raw
    assert inbox.envelopes[0].mail_from == "tickets@summit.example.org"

    def dnsfunc(name, timeout=5):
        records = dns.get(name.decode().rstrip("."), [])
        return records[0].encode() if records else None

    assert dkim.verify(raw, dnsfunc=dnsfunc)
    # ... and a tampered copy does not verify.
    assert not dkim.verify(raw.replace(b"Ana", b"Eve"), dnsfunc=dnsfunc)


def test_unverified_sender_falls_back_to_the_instance_address(mail_app, dns):
    app, inbox = mail_app
    order = make_paid_order(["Ana Putri"])
    domains.add_domain(order.organization, "summit.example.org", actor=None)  # never verified
    _sender(order, "tickets@summit.example.org")

    signals.emit(signals.order_paid, order_id=order.id)

    (msg,) = inbox.wait_for(1)
    assert msg["From"] == "JTS Team <no-reply@rollcall.localhost>"
    assert msg["Reply-To"] == "tickets@summit.example.org"
    assert b"DKIM-Signature" not in inbox.envelopes[0].content


def test_organization_name_and_reply_to_without_any_sender(mail_app):
    app, inbox = mail_app
    org = make_org("Komunitas Data")
    org.reply_to = "halo@komunitas.example"
    org.save()
    service.queue_email(kind="test", to_email="a@example.org", subject="Hi", text_body="Hi", organization=org)
    (msg,) = inbox.wait_for(1)
    assert msg["From"] == "Komunitas Data <no-reply@rollcall.localhost>"
    assert msg["Reply-To"] == "halo@komunitas.example"


def test_another_organizations_verified_domain_does_not_count(app, dns):
    mine, theirs = make_org(), make_org()
    row = domains.add_domain(theirs, "theirs.example.org", actor=None)
    publish(dns, row)
    domains.verify(row)
    sent = service.queue_email(
        kind="test", to_email="a@example.org", subject="Hi", text_body="Hi", organization=mine,
        from_email="boss@theirs.example.org",
    )  # fmt: skip
    assert sent.from_email == "no-reply@rollcall.localhost"
    assert sent.reply_to == "boss@theirs.example.org"


def test_console_domains_page(app, auth, dns):
    org = make_org()
    admin = make_member(org, "admin")
    client = auth.client_for(admin, org)

    assert client.get("/console/mail/domains").status_code == 200
    response = client.post("/console/mail/domains", data={"domain": "nope"})
    assert response.status_code == 422
    assert "Enter a domain name" in response.get_data(as_text=True)

    assert client.post("/console/mail/domains", data={"domain": "example.org"}).status_code == 303
    row = SendingDomain.get(SendingDomain.organization == org)
    page = client.get("/console/mail/domains").get_data(as_text=True)
    assert f"{row.dkim_selector}._domainkey.example.org" in page
    assert row.dkim_public_key in page and "v=spf1" in page

    publish(dns, row)
    response = client.post(f"/console/mail/domains/{row.id}/verify", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "verified" in response.get_data(as_text=True)
    assert SendingDomain.get_by_id(row.id).verified


def test_domains_are_for_admins_of_the_organization(app, auth):
    org = make_org()
    row = domains.add_domain(org, "example.org", actor=None)
    manager = make_member(org, "manager")
    assert auth.client_for(manager, org).get("/console/mail/domains").status_code == 403

    other_org = make_org(owner=make_user())
    other_admin = make_member(other_org, "admin")
    other = auth.client_for(other_admin, other_org)
    assert other.post(f"/console/mail/domains/{row.id}/verify").status_code == 404
    assert other.post(f"/console/mail/domains/{row.id}/delete").status_code == 404
    assert SendingDomain.get_or_none(SendingDomain.id == row.id) is not None
