"""Newsletters and their subscribers: the same services as the console and the public form
(webapp/contacts/newsletters.py). Adding a subscriber starts the double opt-in: it is pending, and
the person gets the confirmation email; nobody is confirmed without their click."""

from __future__ import annotations

from flask import g

from webapp.api.framework import operation
from webapp.api.schema import DateTime, Email, Int, Line, Obj, Out, Str
from webapp.api.v1.common import actor_label, field_error
from webapp.api.v1.resource import OrgResource
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


def _update(newsletter: Newsletter, body: dict) -> None:
    newsletters.update(
        newsletter, body.get("name", newsletter.name), body.get("description", newsletter.description),
        actor=None, actor_label=actor_label(),
    )  # fmt: skip


NEWSLETTERS = OrgResource(
    Newsletter, "/newsletters", "newsletter", "newsletters", tag=TAG, scope=SCOPE,
    errors={newsletters.NewsletterError: field_error},
)  # fmt: skip
get_newsletter = NEWSLETTERS.get
list_newsletters = NEWSLETTERS.list(summary="List newsletters", page=NewsletterOut)
create_newsletter = NEWSLETTERS.create(
    summary="Create a newsletter",
    body=Obj("NewsletterCreate", NewsletterWrite, required=("name",)),
    response=NewsletterOut,
    make=lambda body: newsletters.create(
        g.api_org_id, body["name"], body.get("description", ""), actor=None, actor_label=actor_label()
    ),
)
read_newsletter = NEWSLETTERS.read(summary="Get a newsletter", response=NewsletterOut)
update_newsletter = NEWSLETTERS.update(
    summary="Update a newsletter",
    body=Obj("NewsletterUpdate", NewsletterWrite),
    response=NewsletterOut,
    change=_update,
)
delete_newsletter = NEWSLETTERS.delete(
    summary="Delete a newsletter and its subscriptions (the contacts stay)",
    remove=lambda newsletter: newsletters.delete(newsletter, actor=None, actor_label=actor_label()),
)


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
