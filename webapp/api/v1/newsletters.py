"""Newsletters and their subscribers: the same services as the console and the public form
(webapp/contacts/newsletters.py). Adding a subscriber starts the double opt-in: it is pending, and
the person gets the confirmation email; nobody is confirmed without their click."""

from __future__ import annotations

from flask import g

from webapp.api.framework import operation
from webapp.api.schema import Bool, DateTime, Email, Int, Line, Obj, Out, Str
from webapp.api.v1.common import actor_label, field_error
from webapp.contacts import newsletters
from webapp.contacts.models import Contact
from webapp.contacts.newsletter_models import SUBSCRIPTION_STATES, Newsletter, NewsletterSubscription
from webapp.extensions import LANGUAGES

TAG = "Newsletters"
SCOPE = "contacts"


def _counts(newsletter: Newsletter) -> dict[str, int]:
    return newsletters.counts([newsletter.id])[newsletter.id]


NewsletterOut = Out(
    "Newsletter",
    {
        "id": Int(),
        "name": Str(),
        "description": Str(),
        "subscribe_url": Str(source=newsletters.subscribe_url, description="The public subscribe page."),
        "confirmed": Int(source=lambda n: _counts(n)["confirmed"]),
        "pending": Int(source=lambda n: _counts(n)["pending"]),
        "unsubscribed": Int(source=lambda n: _counts(n)["unsubscribed"]),
        "created_at": DateTime(),
    },
)
NewsletterWrite = {"name": Line(min_length=1, max_length=newsletters.NAME_MAX), "description": Str(max_length=2000)}
SubscriberOut = Out(
    "NewsletterSubscriber",
    {
        "id": Int(),
        "contact_id": Int(),
        "email": Str(source=lambda s: s.contact.email),
        "state": Str(enum=SUBSCRIPTION_STATES),
        "source": Str(),
        "requested_at": DateTime(),
        "confirmed_at": DateTime(null=True),
        "unsubscribed_at": DateTime(null=True),
    },
)


def get_newsletter(newsletter_id: int) -> Newsletter:
    return Newsletter.get_for_org(g.api_org_id, newsletter_id)


@operation("GET", "/newsletters", tag=TAG, scope=SCOPE, summary="List newsletters", page=NewsletterOut)
def list_newsletters(query):
    return Newsletter.for_org(g.api_org_id)


@operation(
    "POST",
    "/newsletters",
    tag=TAG,
    scope=SCOPE,
    summary="Create a newsletter",
    body=Obj("NewsletterCreate", NewsletterWrite, required=("name",)),
    response=NewsletterOut,
    status=201,
)
def create_newsletter(body):
    try:
        return newsletters.create(
            g.api_org_id, body["name"], body.get("description", ""), actor=None, actor_label=actor_label()
        )
    except newsletters.NewsletterError as exc:
        raise field_error(exc) from None


@operation(
    "GET", "/newsletters/<int:newsletter_id>", tag=TAG, scope=SCOPE, summary="Get a newsletter", response=NewsletterOut
)
def read_newsletter(newsletter_id):
    return get_newsletter(newsletter_id)


@operation(
    "PATCH",
    "/newsletters/<int:newsletter_id>",
    tag=TAG,
    scope=SCOPE,
    summary="Update a newsletter",
    body=Obj("NewsletterUpdate", NewsletterWrite),
    response=NewsletterOut,
)
def update_newsletter(newsletter_id, body):
    newsletter = get_newsletter(newsletter_id)
    try:
        newsletters.update(
            newsletter, body.get("name", newsletter.name), body.get("description", newsletter.description),
            actor=None, actor_label=actor_label(),
        )  # fmt: skip
    except newsletters.NewsletterError as exc:
        raise field_error(exc) from None
    return Newsletter.get_by_id(newsletter.id)


@operation(
    "DELETE",
    "/newsletters/<int:newsletter_id>",
    tag=TAG,
    scope=SCOPE,
    summary="Delete a newsletter and its subscriptions (the contacts stay)",
    response=Out("NewsletterDeleted", {"id": Int(), "deleted": Bool()}),
)
def delete_newsletter(newsletter_id):
    newsletters.delete(get_newsletter(newsletter_id), actor=None, actor_label=actor_label())
    return {"id": newsletter_id, "deleted": True}


@operation(
    "GET",
    "/newsletters/<int:newsletter_id>/subscribers",
    tag=TAG,
    scope=SCOPE,
    summary="List a newsletter's subscribers",
    page=SubscriberOut,
    query={"state": Str(enum=SUBSCRIPTION_STATES)},
)
def list_subscribers(newsletter_id, query):
    newsletter = get_newsletter(newsletter_id)
    select = (
        NewsletterSubscription.select(NewsletterSubscription, Contact)
        .join(Contact, on=(NewsletterSubscription.contact == Contact.id))
        .where(
            (NewsletterSubscription.newsletter == newsletter.id) & (NewsletterSubscription.organization == g.api_org_id)
        )
    )
    if "state" in query:
        select = select.where(NewsletterSubscription.state == query["state"])
    return select


@operation(
    "POST",
    "/newsletters/<int:newsletter_id>/subscribers",
    tag=TAG,
    scope=SCOPE,
    summary="Subscribe a person (pending until they confirm from the email sent to them)",
    body=Obj(
        "NewsletterSubscriberCreate",
        {
            "email": Email(),
            "name": Line(max_length=200),
            "locale": Str(enum=LANGUAGES, description="The confirmation email's language (default en)."),
        },
        required=("email",),
    ),
    response=SubscriberOut,
    status=201,
)
def create_subscriber(newsletter_id, body):
    """A confirmed subscriber stays confirmed; anyone else is (again) pending and gets the
    confirmation email."""
    newsletter = get_newsletter(newsletter_id)
    try:
        subscription = newsletters.subscribe(
            newsletter, body["email"], name=body.get("name"), source="api", locale=body.get("locale", "en")
        )
    except ValueError as exc:
        raise field_error(exc, default_field="email") from None
    return _subscriber(newsletter, subscription.id)


def _subscriber(newsletter: Newsletter, subscription_id: int) -> NewsletterSubscription:
    return (
        NewsletterSubscription.select(NewsletterSubscription, Contact)
        .join(Contact, on=(NewsletterSubscription.contact == Contact.id))
        .where((NewsletterSubscription.id == subscription_id) & (NewsletterSubscription.newsletter == newsletter.id))
        .get()
    )


@operation(
    "DELETE",
    "/newsletters/<int:newsletter_id>/subscribers/<int:subscriber_id>",
    tag=TAG,
    scope=SCOPE,
    summary="Unsubscribe a subscriber from the newsletter",
    response=SubscriberOut,
)
def delete_subscriber(newsletter_id, subscriber_id):
    newsletter = get_newsletter(newsletter_id)
    subscription = _subscriber(newsletter, subscriber_id)
    newsletters.unsubscribe(subscription)
    return _subscriber(newsletter, subscriber_id)
