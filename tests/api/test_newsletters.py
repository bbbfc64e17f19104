"""Newsletters over the API: CRUD, subscribers (pending until the person confirms), unsubscribe;
scoped to the key's organization."""

from __future__ import annotations

from webapp.contacts import newsletters
from webapp.contacts.newsletter_models import Newsletter, NewsletterSubscription
from webapp.mail.models import Outbox


def test_an_integration_keeps_a_newsletter_and_its_subscribers(api, org):
    created = api.post("/newsletters", {"name": "Kopi Weekly", "description": "Coffee news"})
    assert created.status_code == 201, created.json
    nid = created.json["id"]
    assert created.json["subscribe_url"].endswith(f"/n/{Newsletter.get_by_id(nid).public_key}")
    added = api.post(f"/newsletters/{nid}/subscribers", {"email": "Ana@Example.org", "name": "Ana", "locale": "id"})
    assert added.status_code == 201 and added.json["state"] == "pending" and added.json["email"] == "ana@example.org"
    confirmation = Outbox.get(Outbox.kind == "subscription")
    assert (
        confirmation.to_email == "ana@example.org"
        and confirmation.subject == "Konfirmasi langganan Anda ke Kopi Weekly"
    )
    assert api.get(f"/newsletters/{nid}").json["pending"] == 1
    newsletters.confirm(NewsletterSubscription.get_by_id(added.json["id"]))
    listed = api.get(f"/newsletters/{nid}/subscribers", state="confirmed").json["data"]
    assert [s["email"] for s in listed] == ["ana@example.org"] and listed[0]["confirmed_at"]
    again = api.post(f"/newsletters/{nid}/subscribers", {"email": "ana@example.org"})
    assert again.json["state"] == "confirmed" and Outbox.select().where(Outbox.kind == "subscription").count() == 1
    left = api.delete(f"/newsletters/{nid}/subscribers/{added.json['id']}")
    assert left.json["state"] == "unsubscribed" and left.json["unsubscribed_at"]
    assert api.patch(f"/newsletters/{nid}", {"name": "Kopi Daily"}).json["name"] == "Kopi Daily"
    assert api.get("/newsletters").json["data"][0]["unsubscribed"] == 1
    assert api.delete(f"/newsletters/{nid}").json == {"id": nid, "deleted": True}
    assert not NewsletterSubscription.select().exists()


def test_bad_input_and_other_organizations_are_refused(api, other_api, org):
    nid = api.post("/newsletters", {"name": "Kopi Weekly"}).json["id"]
    assert api.post("/newsletters", {"name": ""}).status_code == 422
    assert api.post("/newsletters", {"name": "x" * 201}).status_code == 422
    assert api.post(f"/newsletters/{nid}/subscribers", {"email": "nope"}).status_code == 422
    assert api.post(f"/newsletters/{nid}/subscribers", {"email": "a@example.org", "locale": "xx"}).status_code == 422
    assert api.get(f"/newsletters/{nid}/subscribers", state="lost").status_code == 422
    assert other_api.get(f"/newsletters/{nid}").status_code == 404
    assert other_api.post(f"/newsletters/{nid}/subscribers", {"email": "a@example.org"}).status_code == 404
    assert other_api.get(f"/newsletters/{nid}/subscribers").status_code == 404
    assert other_api.delete(f"/newsletters/{nid}").status_code == 404
    assert not NewsletterSubscription.select().exists()
