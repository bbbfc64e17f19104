"""Newsletters of an organization and who is on them.

Joining is double opt-in, through the same machinery as a contact's subscription
(webapp/contacts/subscriptions.py): the subscription is pending, a confirmation email goes out
after the commit (work item `subscriptions.SEND_CONFIRMATION`, naming the newsletter), and only the
person's click on its signed link confirms it. A contact that did not exist, or had unsubscribed
from all mail, becomes pending too, and active with that same click. Leaving is one click (or a
mail client's one-click POST) on the subscription's own link, and leaves this newsletter only."""

from __future__ import annotations

import secrets
import time

import peewee as pw

from webapp import work
from webapp.accounts import audit
from webapp.accounts.models import User
from webapp.contacts import service as contacts
from webapp.contacts import subscriptions
from webapp.contacts.models import Contact
from webapp.contacts.newsletter_models import SUBSCRIPTION_SOURCES, Newsletter, NewsletterSubscription
from webapp.contacts.rules import normalize_email
from webapp.db import db, utcnow
from webapp.events.models import Event, page_changed
from webapp.extensions import cache
from webapp.guards import has_control_characters
from webapp.i18n import _, stored_text
from webapp.runtime import settings

NAME_MAX = 200
DESCRIPTION_MAX = 2000


class NewsletterError(ValueError):
    def __init__(self, message: str, field: str = "name"):
        super().__init__(message)
        self.field, self.message = field, message


def _clean(name, description) -> tuple[str, str]:
    if not isinstance(name, str) or not isinstance(description, str):
        raise NewsletterError(_("Enter text."))
    name, description = name.strip(), description.strip()
    if not name:
        raise NewsletterError(_("Required."))
    if len(name) > NAME_MAX:
        raise NewsletterError(_("At most %(num)d characters.", num=NAME_MAX))
    if has_control_characters(name) or not _encodable(name):
        raise NewsletterError(_("Use one line of plain text."))
    if len(description) > DESCRIPTION_MAX:
        raise NewsletterError(_("At most %(num)d characters.", num=DESCRIPTION_MAX), "description")
    if "\x00" in description or not _encodable(description):
        raise NewsletterError(_("Enter text."), "description")
    return name, description


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def create(org_id: int, name, description="", *, actor: User | None, actor_label: str | None = None) -> Newsletter:
    name, description = _clean(name, description)
    with db.atomic():
        newsletter = Newsletter.create(
            organization=org_id, name=name, description=description, public_key=secrets.token_urlsafe(12)
        )
        audit.record(
            org_id,
            "newsletter.create",
            user=actor,
            actor=actor_label,
            target=newsletter,
            summary=stored_text("Newsletter %(name)s", name=name),
        )
    return newsletter


def update(newsletter: Newsletter, name, description, *, actor: User | None, actor_label: str | None = None) -> dict:
    name, description = _clean(name, description)
    with db.atomic():
        changes = audit.diff(newsletter, {"name": name, "description": description})
        if changes:
            newsletter.updated_at = utcnow()
            newsletter.save()
            for event in events_offering(newsletter):  # their registration forms name it
                page_changed(event.id)
            audit.record(
                newsletter.organization_id, "newsletter.update", user=actor, actor=actor_label, target=newsletter,
                summary=stored_text("Newsletter %(name)s edited", name=name), changes=changes,
            )  # fmt: skip
    return changes


def delete(newsletter: Newsletter, *, actor: User | None, actor_label: str | None = None) -> None:
    with db.atomic():
        audit.record(
            newsletter.organization_id, "newsletter.delete", user=actor, actor=actor_label, target=newsletter,
            summary=stored_text("Newsletter %(newsletter)s deleted", newsletter=newsletter.name),
        )  # fmt: skip
        for event in events_offering(newsletter):
            page_changed(event.id)
        Event.update(newsletter_id=None).where(Event.newsletter_id == newsletter.id).execute()
        newsletter.delete_instance()


# --- joining and leaving ----------------------------------------------------------------------------


def subscribe(
    newsletter: Newsletter, email: str, *, name: str | None = None, source: str = "form", locale: str = "en"
) -> NewsletterSubscription:
    """The person asked to join: their subscription is pending and the confirmation email is on
    its way after the commit (a confirmed subscription stays as it is; asking again while pending
    sends the email again). Runs inside the caller's transaction when there is one (checkout)."""
    if source not in SUBSCRIPTION_SOURCES:
        raise ValueError(source)
    existed = (
        Contact.select()
        .where((Contact.organization == newsletter.organization_id) & (Contact.email == normalize_email(email)))
        .exists()
    )
    contact = contacts.upsert_contact(newsletter.organization_id, email, name=name or None, source=source)
    with db.atomic():
        subscription = _subscription(newsletter, contact, source)
        if subscription.state == "confirmed":
            return subscription
        # A contact that only this request makes, or one who had turned all mail off, is pending
        # until the same click. A registrant's contact is the registration's (active, as the
        # Contact Book sync makes it): ticking the box must not take mail away from them.
        if (not existed and source != "registration") or contact.status in ("pending", "unsubscribed"):
            contacts.set_status(
                contact,
                "pending",
                reason=stored_text("newsletter %(newsletter)s to confirm by email", newsletter=newsletter.name),
            )
        subscriptions.ask_to_confirm(contact, locale=locale, newsletter_id=newsletter.id)
    return subscription


SIGNUP = "contacts.newsletter_signup"  # work: {"newsletter_id", "email", "name", "locale", "source"}


def record_signup(newsletter_id: int, email: str, name: str, locale: str, *, source: str) -> None:
    """Subscribe the person after the caller's transaction commits (checkout ticks the box inside
    its order's transaction; the subscription and its email follow the order, never precede it)."""
    work.record(
        SIGNUP, {"newsletter_id": newsletter_id, "email": email, "name": name, "locale": locale, "source": source}
    )


def run_signup(payload: dict) -> None:
    """The work item of `record_signup`."""
    newsletter = Newsletter.get_or_none(Newsletter.id == payload["newsletter_id"])
    if newsletter is not None:
        subscribe(
            newsletter, payload["email"], name=payload.get("name"), source=payload["source"],
            locale=payload.get("locale", "en"),
        )  # fmt: skip


def _subscription(newsletter: Newsletter, contact: Contact, source: str) -> NewsletterSubscription:
    """The contact's subscription, pending (a new one, or one that had been left)."""
    row = NewsletterSubscription.get_or_none(
        (NewsletterSubscription.newsletter == newsletter.id) & (NewsletterSubscription.contact == contact.id)
    )
    if row is None:
        NewsletterSubscription.insert(
            organization=newsletter.organization_id,
            newsletter=newsletter.id,
            contact=contact.id,
            source=source,
            token=secrets.token_urlsafe(24),
        ).on_conflict_ignore().execute()
        return NewsletterSubscription.get(
            (NewsletterSubscription.newsletter == newsletter.id) & (NewsletterSubscription.contact == contact.id)
        )
    if row.state == "unsubscribed":
        row.state, row.source, row.requested_at, row.unsubscribed_at = "pending", source, utcnow(), None
        row.save()
    return row


def confirm(subscription: NewsletterSubscription) -> bool:
    """pending -> confirmed, by the person's click; their contact, if pending, becomes active."""
    with db.atomic():
        changed = (
            NewsletterSubscription.update(state="confirmed", confirmed_at=utcnow())
            .where((NewsletterSubscription.id == subscription.id) & (NewsletterSubscription.state == "pending"))
            .execute()
        )
        contact = Contact.get_by_id(subscription.contact_id)
        if changed and contact.status == "pending":
            subscriptions.confirm(contact)
    return bool(changed)


def unsubscribe(subscription: NewsletterSubscription) -> bool:
    """Leave the newsletter (the contact's other newsletters and mail are untouched)."""
    changed = (
        NewsletterSubscription.update(state="unsubscribed", unsubscribed_at=utcnow())
        .where((NewsletterSubscription.id == subscription.id) & (NewsletterSubscription.state != "unsubscribed"))
        .execute()
    )
    return bool(changed)


def subscription_of(newsletter_id: int, contact_id: int) -> NewsletterSubscription | None:
    return NewsletterSubscription.get_or_none(
        (NewsletterSubscription.newsletter == newsletter_id) & (NewsletterSubscription.contact == contact_id)
    )


def by_token(token: str) -> NewsletterSubscription | None:
    if not token or len(token) > 64:
        return None
    return NewsletterSubscription.get_or_none(NewsletterSubscription.token == token)


def unsubscribe_url(subscription: NewsletterSubscription) -> str:
    return f"{settings().base_url}/n/u/{subscription.token}"


def subscribe_url(newsletter: Newsletter) -> str:
    """The public subscribe form (to link to, or embed in a frame)."""
    return f"{settings().base_url}/n/{newsletter.public_key}"


# --- reading ----------------------------------------------------------------------------------------


def counts(newsletter_ids: list[int]) -> dict[int, dict[str, int]]:
    """{newsletter id: {state: subscriptions}} in one query."""
    out: dict[int, dict[str, int]] = {i: {"pending": 0, "confirmed": 0, "unsubscribed": 0} for i in newsletter_ids}
    if newsletter_ids:
        rows = (
            NewsletterSubscription.select(
                NewsletterSubscription.newsletter, NewsletterSubscription.state, pw.fn.COUNT(NewsletterSubscription.id)
            )
            .where(NewsletterSubscription.newsletter.in_(newsletter_ids))
            .group_by(NewsletterSubscription.newsletter, NewsletterSubscription.state)
            .tuples()
        )
        for newsletter_id, state, n in rows:
            out[newsletter_id][state] = n
    return out


def subscribers(
    newsletter: Newsletter, *, state: str | None = None, limit: int = 500, after: int = 0
) -> list[NewsletterSubscription]:
    query = (
        NewsletterSubscription.select(NewsletterSubscription, Contact)
        .join(Contact, on=(NewsletterSubscription.contact == Contact.id))
        .where(
            (NewsletterSubscription.newsletter == newsletter.id)
            & (NewsletterSubscription.organization == newsletter.organization_id)
            & (NewsletterSubscription.id > after)
        )
        .order_by(NewsletterSubscription.id)
        .limit(limit)
    )
    if state:
        query = query.where(NewsletterSubscription.state == state)
    return list(query)


# --- the public subscribe form's limit ---------------------------------------------------------------

SIGNUPS_PER_ADDRESS = 5  # from one network address, per newsletter and window
SIGNUPS_PER_NEWSLETTER = 200  # from everyone, per newsletter and window
SIGNUP_WINDOW = 600  # seconds


def signup_allowed(newsletter_id: int, remote_addr: str, now: float | None = None) -> bool:
    """Count one sign-up attempt of the public form; False once the address (or everyone) has
    used the window's share. Counted in the cache every process shares (Redis in production)."""
    window = int((time.time() if now is None else now) // SIGNUP_WINDOW)
    allowed = True
    for key, limit in (
        (f"newsletter-signup:{newsletter_id}:{remote_addr[:64]}:{window}", SIGNUPS_PER_ADDRESS),
        (f"newsletter-signup:{newsletter_id}:*:{window}", SIGNUPS_PER_NEWSLETTER),
    ):
        cache.add(key, 0, timeout=SIGNUP_WINDOW * 2)
        count = cache.cache.inc(key) or 0  # the backend itself: Redis counts atomically
        allowed = allowed and count <= limit
    return allowed


def link_event(event: Event, newsletter_id: int | None, *, actor: User | None, actor_label: str | None = None) -> None:
    """The newsletter the event's registration form offers (None: none). Its landing page changes."""
    if (
        newsletter_id is not None
        and not Newsletter.for_org(event.organization_id).where(Newsletter.id == newsletter_id).exists()
    ):
        raise NewsletterError(_("No such newsletter in this organization."), "newsletter_id")
    if event.newsletter_id == newsletter_id:
        return
    with db.atomic():
        old, event.newsletter_id, event.updated_at = event.newsletter_id, newsletter_id, utcnow()
        event.save(only=[Event.newsletter_id, Event.updated_at])
        audit.record(
            event.organization_id, "event.newsletter", user=actor, actor=actor_label, target=event,
            summary=stored_text("Registration form of %(event)s offers newsletter %(newsletter)s", event=event.name, newsletter=newsletter_id) if newsletter_id else stored_text("Registration form of %(event)s offers no newsletter", event=event.name),
            changes={"newsletter_id": [old, newsletter_id]},
        )  # fmt: skip


def events_offering(newsletter: Newsletter) -> list[Event]:
    return list(
        Event.for_org(newsletter.organization_id)
        .where(Event.newsletter_id == newsletter.id)
        .order_by(Event.starts_at.desc())
    )
