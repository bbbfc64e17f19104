"""Opens and clicks: tracked HTML mail over the real SMTP server, the pixel and the click redirect,
and the safety of the redirect (signed tokens; never a URL that was not in the email)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from itsdangerous import URLSafeSerializer

from tests.factories.contacts import make_contact
from tests.factories.tickets import make_paid_order
from webapp import signals
from webapp.contacts.models import Activity, Contact
from webapp.mail import automations
from webapp.mail.models import MailEngagement, Outbox
from webapp.mail.service import queue_email

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36"}


def _html(msg) -> str:
    return msg.get_body(("html",)).get_content()


def _pixel(html: str) -> str:
    (url,) = re.findall(r'<img src="(http://rollcall\.test/m/o/[^"]+)"', html)
    return url.removeprefix("http://rollcall.test")


def _tracked_links(html: str) -> list[str]:
    return [
        u.removeprefix("http://rollcall.test") for u in re.findall(r'href="(http://rollcall\.test/m/c/[^"]+)"', html)
    ]


def _age(message: Outbox, seconds: int = 60) -> None:
    """The hand-off happened a while ago (a hit right after it is a scanner's)."""
    Outbox.update(sent_at=message.sent_at - dt.timedelta(seconds=seconds)).where(Outbox.id == message.id).execute()


@pytest.fixture
def ticket(mail_app):
    """Ana's ticket email, sent to her contact; returns (message row, the email received, contact)."""
    app, inbox = mail_app
    order = make_paid_order(["Ana Putri"])
    contact = make_contact(order.organization, email="ana@example.org")
    signals.emit(signals.order_paid, order_id=order.id)
    (msg,) = inbox.wait_for(1)
    row = Outbox.get(Outbox.kind == "ticket")
    _age(row)
    return row, msg, contact


def test_ticket_email_is_filed_under_its_send_and_contact(ticket):
    row, msg, contact = ticket
    assert (row.send_key, row.contact_id, row.state) == ("ticket", contact.id, "sent")


def test_opening_records_one_open_and_puts_it_on_the_timeline(mail_app, ticket):
    app, _ = mail_app
    row, msg, contact = ticket
    pixel = _pixel(_html(msg))
    client = app.test_client()
    for _ in range(3):  # the mail client shows the email three times
        answer = client.get(pixel, headers=BROWSER)
        assert answer.status_code == 200 and answer.mimetype == "image/gif"
        assert "no-store" in answer.headers["Cache-Control"]

    (open_,) = MailEngagement.select()
    assert (open_.kind, open_.outbox_id, open_.contact_id, open_.machine) == ("open", row.id, contact.id, False)
    (entry,) = Activity.select().where((Activity.contact == contact.id) & (Activity.kind == "opened"))
    assert row.subject in entry.summary


def test_a_click_goes_to_the_link_of_the_email_and_is_recorded(mail_app, ticket):
    app, _ = mail_app
    row, msg, contact = ticket
    html = _html(msg)
    links = _tracked_links(html)
    assert links, "the ticket email's links are tracked"
    order_url = row.html_body and re.search(r'href="(http://rollcall\.test/o/[^"]+)"', row.html_body).group(1)
    assert order_url not in html  # sent through the redirect only

    answers = [app.test_client().get(link, headers=BROWSER) for link in links]
    targets = {a.headers["Location"] for a in answers}
    assert all(a.status_code == 302 for a in answers)
    assert order_url in targets
    assert all(t in row.html_body for t in targets)  # only ever where the email pointed

    clicks = MailEngagement.select().where(MailEngagement.kind == "click")
    assert {c.url for c in clicks} == targets
    assert Activity.select().where((Activity.contact == contact.id) & (Activity.kind == "clicked")).count() == len(
        targets
    )


def test_pixel_and_redirect_answer_without_a_session_and_with_the_apps_headers(mail_app, ticket):
    app, _ = mail_app
    row, msg, _contact = ticket
    client = app.test_client()
    client.set_cookie("session", "not-a-session-we-signed")  # a visitor's cookie is neither read nor renewed
    answers = [
        client.get(_pixel(_html(msg)), headers=BROWSER),
        client.get(_tracked_links(_html(msg))[0], headers=BROWSER),
    ]
    assert [a.status_code for a in answers] == [200, 302]
    for answer in answers:
        assert "Set-Cookie" not in answer.headers and "Cookie" not in answer.headers.get("Vary", "")
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
        assert "no-store" in answer.headers["Cache-Control"] and answer.headers["X-Request-ID"]
    assert answers[1].headers["Location"] in row.html_body
    head = client.head(_tracked_links(_html(msg))[0], headers=BROWSER)
    assert head.status_code == 302 and head.data == b""
    assert {(e.kind, e.machine) for e in MailEngagement.select()} == {("open", False), ("click", False)}


def test_tampered_or_forged_tokens_redirect_nowhere_and_record_nothing(mail_app, ticket):
    app, _ = mail_app
    row, msg, _contact = ticket
    client = app.test_client()
    link = _tracked_links(_html(msg))[0]
    token = link.rsplit("/", 1)[1]
    forged = URLSafeSerializer("not-our-secret", salt="mail.click").dumps([row.id, "https://evil.example/"])
    ours_but_open = _pixel(_html(msg)).rsplit("/", 1)[1]  # an open token is not a click token
    for bad in (
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        forged,
        ours_but_open,
        "https://evil.example",
    ):
        answer = client.get(f"/m/c/{bad}", headers=BROWSER)
        assert answer.status_code == 404
        assert "evil.example" not in answer.headers.get("Location", "")
    assert client.get("/m/o/" + token, headers=BROWSER).status_code == 404
    assert client.get("/m/c/?next=https://evil.example", headers=BROWSER).status_code == 404
    assert MailEngagement.select().count() == 0


def test_scanners_are_flagged_and_prefetches_record_nothing(mail_app, ticket):
    app, _ = mail_app
    row, msg, contact = ticket
    client = app.test_client()
    pixel, link = _pixel(_html(msg)), _tracked_links(_html(msg))[0]

    assert client.head(pixel).status_code == 200  # a prefetch: nothing recorded
    assert client.head(link).status_code == 302
    assert MailEngagement.select().count() == 0

    client.get(link, headers={"User-Agent": "Mozilla/5.0 (compatible; Barracuda Sentinel link scanner)"})
    (scan,) = MailEngagement.select()
    assert scan.machine and scan.kind == "click"
    assert not Activity.select().where(Activity.kind == "clicked").exists()

    client.get(link, headers=BROWSER)  # then the person clicks: counted, on the timeline
    assert MailEngagement.select().where(~MailEngagement.machine).count() == 1
    assert Activity.select().where((Activity.kind == "clicked") & (Activity.contact == contact.id)).count() == 1


def test_a_hit_right_after_the_hand_off_is_a_machines(mail_app):
    app, inbox = mail_app
    order = make_paid_order(["Ana Putri"])
    make_contact(order.organization, email="ana@example.org")
    signals.emit(signals.order_paid, order_id=order.id)
    (msg,) = inbox.wait_for(1)
    app.test_client().get(_pixel(_html(msg)), headers=BROWSER)
    (hit,) = MailEngagement.select()
    assert hit.machine


def test_unsubscribe_links_are_not_rewritten(mail_app):
    app, inbox = mail_app
    order = make_paid_order(["Ana Putri"])
    contact = Contact.get_or_none(Contact.email == "ana@example.org") or make_contact(
        order.organization, email="ana@example.org"
    )
    automations.create_automation(order.event, name="Thanks", trigger="paid", delay_minutes=0, actor=None)
    automations.run_due(now=order.event.starts_at - dt.timedelta(days=1))
    (msg,) = [m for m in inbox.wait_for(1) if m["List-Unsubscribe"]]
    html = _html(msg)
    assert f'href="http://rollcall.test/u/{contact.unsubscribe_token}"' in html
    assert _pixel(html)
    row = Outbox.get(Outbox.kind == "automation")
    assert row.send_key.startswith("automation:") and row.contact_id == contact.id


def test_an_organization_can_switch_tracking_off(mail_app):
    app, inbox = mail_app
    order = make_paid_order(["Ana Putri"])
    make_contact(order.organization, email="ana@example.org")
    type(order.organization).update(track_mail=False).execute()
    signals.emit(signals.order_paid, order_id=order.id)
    html = _html(inbox.wait_for(1)[0])
    assert "/m/o/" not in html and "/m/c/" not in html
    assert f"http://rollcall.test/o/{order.secret}" in html


def test_account_mail_is_not_tracked(mail_app):
    app, inbox = mail_app
    order = make_paid_order(["Ana Putri"])
    make_contact(order.organization, email="ana@example.org")
    queue_email(
        kind="invite", to_email="ana@example.org", subject="Join us", text_body="x",
        html_body='<p><a href="https://example.org/join">Join</a></p>', organization=order.organization,
    )  # fmt: skip
    html = _html(inbox.wait_for(1)[0])
    assert 'href="https://example.org/join"' in html and "/m/o/" not in html
    assert Outbox.get(Outbox.kind == "invite").contact_id is None
