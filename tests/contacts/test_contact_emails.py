"""The contact's Emails tab (every message sent to them, its state and engagement) and the mail
log's event filter."""

from __future__ import annotations

import datetime as dt

from tests.factories.accounts import make_member, make_org
from tests.factories.contacts import make_contact
from tests.factories.events import make_event
from webapp.db import utcnow
from webapp.mail import tracking
from webapp.mail.models import Outbox
from webapp.mail.service import queue_email

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"


def _mail(org, to, subject, *, kind="ticket", state="sent", contact=None, event=None, error=None):
    message = queue_email(
        kind=kind, to_email=to, subject=subject, text_body="hi", html_body="<p>hi</p>", organization=org,
        event_id=event.id if event else None,
    )  # fmt: skip
    Outbox.update(
        state=state, last_error=error, contact_id=contact.id if contact else None,
        sent_at=utcnow() - dt.timedelta(hours=2) if state == "sent" else None,
    ).where(Outbox.id == message.id).execute()  # fmt: skip
    return message


def test_the_emails_tab_lists_every_message_to_the_contact_with_state_and_engagement(app, auth, client):
    org = make_org()
    contact = make_contact(org, email="dewi@example.org", name="Dewi")
    ticket = _mail(org, "dewi@example.org", "Your ticket for Expo")
    campaign = _mail(org, "dewi@example.org", "March newsletter", kind="campaign", contact=contact)
    _mail(org, "dewi@example.org", "Payment reminder", state="failed", error="550 mailbox unavailable")
    _mail(org, "someone.else@example.org", "Not for Dewi")
    _mail(make_org(), "dewi@example.org", "Another organization's mail")
    client.get(tracking.open_url(campaign.id).removeprefix("http://rollcall.test"), headers={"User-Agent": BROWSER})
    client.get(
        tracking.click_url(campaign.id, "https://example.org/agenda").removeprefix("http://rollcall.test"),
        headers={"User-Agent": BROWSER},
    )

    manager = auth.client_for(make_member(org, "manager"), org)
    page = manager.get(f"/console/contacts/{contact.id}/emails").get_data(as_text=True)
    assert "Your ticket for Expo" in page and "March newsletter" in page and "Payment reminder" in page
    assert "550 mailbox unavailable" in page
    assert "Not for Dewi" not in page and "Another organization" not in page
    assert "1 open · 1 click" in page
    assert page.index("Payment reminder") < page.index("Your ticket for Expo")  # newest first
    assert f"/console/mail/{ticket.id}" in page
    overview = manager.get(f"/console/contacts/{contact.id}").get_data(as_text=True)
    assert f'href="/console/contacts/{contact.id}/emails"' in overview


def test_the_emails_tab_is_the_organizations_own(app, auth):
    org = make_org()
    stranger = make_contact(make_org(), email="x@example.org")
    manager = auth.client_for(make_member(org, "manager"), org)
    assert manager.get(f"/console/contacts/{stranger.id}/emails").status_code == 404
    assert manager.get(f"/console/contacts/{stranger.id}/emails?before=x").status_code == 404
    door = auth.client_for(make_member(org, "door"), org)
    contact = make_contact(org)
    assert door.get(f"/console/contacts/{contact.id}/emails").status_code == 403


def test_the_mail_log_filters_by_event(app, auth):
    org = make_org()
    expo, gala = make_event(org, name="Expo"), make_event(org, name="Gala")
    _mail(org, "a@example.org", "Ticket for Expo", event=expo)
    _mail(org, "b@example.org", "Ticket for Gala", event=gala)
    _mail(org, "c@example.org", "Password reset")
    manager = auth.client_for(make_member(org, "manager"), org)
    page = manager.get(f"/console/mail?event={expo.id}").get_data(as_text=True)
    assert "Ticket for Expo" in page and "Ticket for Gala" not in page and "Password reset" not in page
    assert f'<option value="{expo.id}" selected' in page
    fragment = manager.get(f"/console/mail?event={gala.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Ticket for Gala" in fragment and "Ticket for Expo" not in fragment
    # Another organization's event id filters nothing of theirs in; bad ids are no filter.
    foreign = make_event(make_org(), name="Foreign")
    assert "Ticket for Expo" in manager.get(f"/console/mail?event={foreign.id}").get_data(as_text=True)
    for bad in ("x", "0", "99999999999999999999", "1\x00"):
        assert manager.get("/console/mail", query_string={"event": bad}).status_code in (200, 400)
