"""The public unsubscribe page."""

from __future__ import annotations

from tests.factories.accounts import make_org
from tests.factories.contacts import make_contact
from webapp.contacts import service
from webapp.contacts.models import Activity, Contact


def test_get_asks_and_post_unsubscribes(client):
    contact = make_contact(make_org(), "ana@example.org")
    url = service.unsubscribe_url(contact)
    assert url == f"http://rollcall.test/u/{contact.unsubscribe_token}"
    path = url.removeprefix("http://rollcall.test")

    page = client.get(path)
    assert page.status_code == 200 and "ana@example.org" in page.get_data(as_text=True)
    assert Contact.get_by_id(contact.id).status == "active"  # a link checker must not unsubscribe

    done = client.post(path)
    assert done.status_code == 200 and "You are unsubscribed" in done.get_data(as_text=True)
    assert Contact.get_by_id(contact.id).status == "unsubscribed"
    assert service.is_unsubscribed(contact.organization_id, "ANA@example.org")
    assert Activity.select().where((Activity.contact == contact.id) & (Activity.kind == "unsubscribed")).count() == 1


def test_one_click_post_from_a_mail_client_needs_no_csrf_token(csrf_app):
    contact = make_contact(make_org())
    response = csrf_app.test_client().post(f"/u/{contact.unsubscribe_token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert Contact.get_by_id(contact.id).status == "unsubscribed"


def test_unknown_token_is_not_found(client):
    assert client.get("/u/nope").status_code == 404
    assert client.post("/u/nope").status_code == 404


def test_unsubscribe_url_for_email(app):
    org = make_org()
    contact = make_contact(org, "ana@example.org")
    assert service.unsubscribe_url_for_email(org.id, " Ana@example.org") == service.unsubscribe_url(contact)
    assert service.unsubscribe_url_for_email(org.id, "nobody@example.org") is None
