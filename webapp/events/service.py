"""Event setup: details, registration settings, status, cover image and languages.

Services take wall-clock times in the event's timezone (what an operator types) and store UTC.
They raise `FieldError` for input the operator must correct; the message names what is wrong.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app

from webapp import signals, timeutil
from webapp.accounts import audit
from webapp.accounts.models import Organization, User
from webapp.db import Prepared, Slot, db, utcnow
from webapp.events import covers
from webapp.events.models import EVENT_STATUSES, Event, changes_seen_here
from webapp.events.text import SLUG_RE, localized, slugify
from webapp.i18n import _, _l, stored_label, stored_text
from webapp.money import exponent
from webapp.runtime import settings

__all__ = ["localized", "slugify"]

LANGUAGES = {"en": "English", "id": "Bahasa Indonesia"}
TRANSLATED_FIELDS = ("name", "summary", "description_md")
# What a ticket, a confirmation email or a calendar entry shows: a change is announced.
TICKET_FIELDS = {
    "name",
    "timezone",
    "starts_at",
    "ends_at",
    "venue_name",
    "venue_address",
    "online_url",
    "translations",
}

# (from, to) -> audit action
STATUS_LABELS = {"draft": _l("draft"), "published": _l("published"), "closed": _l("closed"), "archived": _l("archived")}
TRANSITIONS = {
    ("draft", "published"): "event.publish",
    ("published", "draft"): "event.unpublish",
    ("published", "closed"): "event.close",
    ("closed", "published"): "event.reopen",
    ("closed", "archived"): "event.archive",
    ("draft", "archived"): "event.archive",
    ("archived", "closed"): "event.unarchive",
}


class FieldError(ValueError):
    """Input to correct: `field` names the form field the message belongs beside."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def allowed_transitions(event: Event) -> list[str]:
    return [to for (frm, to) in TRANSITIONS if frm == event.status]


def registration_state(event: Event, now: dt.datetime | None = None) -> str:
    """Whether people can register now: "open", or why not — "draft", "archived", "closed"
    (by status or past the closing time), "not_open" (before the opening time) or "ended"."""
    now = now or utcnow()
    if event.status in ("draft", "archived", "closed"):
        return event.status
    if now >= event.ends_at:
        return "ended"
    if event.registration_closes_at and now >= event.registration_closes_at:
        return "closed"
    if event.registration_opens_at and now < event.registration_opens_at:
        return "not_open"
    return "open"


def can_cancel(event: Event, now: dt.datetime | None = None) -> bool:
    """Attendees may cancel their own registration until the operator's deadline (never without one)."""
    now = now or utcnow()
    return event.cancel_allowed_until is not None and now < event.cancel_allowed_until and now < event.ends_at


def landing_url(event: Event) -> str:

    org = Organization.get_by_id(event.organization_id)
    return f"{settings().base_url}/e/{org.slug}/{event.slug}"


def _actor_label(actor: User | None) -> str | None:
    return actor.email if actor else None


def _check_times(starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    if ends_at <= starts_at:
        raise FieldError("ends_at", _("The end must be after the start."))


def _check_slug(org_id: int, slug: str, event_id: int | None = None) -> str:
    slug = slug.strip().lower()
    if not SLUG_RE.match(slug):
        raise FieldError("slug", _("Use lower-case letters, digits and dashes, such as jakarta-summit-2026."))
    taken = Event.for_org(org_id).where(Event.slug == slug)
    if event_id:
        taken = taken.where(Event.id != event_id)
    if taken.exists():
        raise FieldError("slug", _("Another event of this organization already uses this address."))
    return slug


def _free_slug(org_id: int, name: str, event_id: int | None) -> str:
    """A slug made from the name, numbered when the organization already uses it."""
    base = slugify(name, max_length=72) or "event"
    taken = {
        e.slug
        for e in Event.for_org(org_id).where(Event.slug.startswith(base)).select(Event.slug, Event.id)
        if e.id != event_id
    }
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _check_timezone(name: str) -> str:
    try:
        timeutil.zone(name)
    except ValueError:
        raise FieldError("timezone", _("Choose a time zone from the list.")) from None
    return name


def _details(org_id: int, data: dict, event_id: int | None) -> dict:
    tz = _check_timezone(data["timezone"])
    values = {
        "name": data["name"].strip(),
        "slug": _check_slug(org_id, data.get("slug") or _free_slug(org_id, data["name"], event_id), event_id),
        "summary": (data.get("summary") or "").strip(),
        "description_md": data.get("description_md") or "",
        "timezone": tz,
        "starts_at": timeutil.to_utc(data["starts_at"], tz),
        "ends_at": timeutil.to_utc(data["ends_at"], tz),
        "venue_name": (data.get("venue_name") or "").strip(),
        "venue_address": (data.get("venue_address") or "").strip(),
        "online_url": (data.get("online_url") or "").strip(),
        "tags": _tags(data.get("tags") or []),
        "currency": data["currency"].upper(),
    }
    if not values["name"]:
        raise FieldError("name", _("Enter the event's name."))
    if not values["slug"]:
        raise FieldError("slug", _("Enter an address for the event page."))
    if not (len(values["currency"]) == 3 and values["currency"].isalpha()):
        raise FieldError("currency", _("Use a three-letter currency code such as IDR."))
    _check_times(values["starts_at"], values["ends_at"])
    return values


def _tags(tags) -> list[str]:
    if isinstance(tags, str):
        tags = tags.split(",")
    seen: dict[str, str] = {}
    for tag in tags:
        tag = " ".join(tag.split())[:40]
        if tag and tag.lower() not in seen:
            seen[tag.lower()] = tag
    return list(seen.values())


def create_event(org: Organization, data: dict, *, actor: User | None, actor_label: str | None = None) -> Event:
    """A new draft. `data`: name, slug (blank: from the name), summary, description_md, timezone,
    starts_at/ends_at (wall-clock in that timezone), venue_name, venue_address, online_url, tags,
    currency, language (the main language of the texts). `actor_label` names an actor who is not
    a user in the audit trail (an API key)."""
    values = _details(org.id, data, None)
    language = data.get("language") or "en"
    with db.atomic():
        created_by = actor.id if actor is not None else None
        event = Event.create(organization=org.id, languages=[language], status="draft", created_by=created_by, **values)
        signals.event_created.send(event)  # what every event has (its default participant group)
        audit.record(
            org.id,
            "event.create",
            user=actor,
            actor=actor_label,
            target=event,
            summary=stored_text("Created event %(event)s", event=event.name),
        )
    return event


def update_event(event: Event, data: dict, *, actor: User | None, actor_label: str | None = None) -> dict:
    """Change the details (same keys as create_event); returns the audit changes."""
    values = _details(event.organization_id, data, event.id)
    with db.atomic():
        if values["currency"] != event.currency:
            _change_currency(event, values["currency"])
        values["updated_at"] = utcnow()
        changes = audit.diff(event, values)
        changes.pop("updated_at", None)
        if not changes:
            return {}
        event.save()
        audit.record(
            event.organization_id,
            "event.update",
            user=actor,
            actor=actor_label,
            target=event,
            summary=stored_text("Edited %(event)s", event=event.name),
            changes=changes,
        )
        if TICKET_FIELDS & changes.keys():
            signals.emit(signals.event_changed, event_id=event.id)
    return changes


def _change_currency(event: Event, currency: str) -> None:
    """Prices keep their amount in major units (150000 IDR -> 150000.00 USD); refused once
    anyone has ordered, because orders are in the old currency."""
    for reason in signals.objections(signals.event_currency_changing, event):
        raise FieldError("currency", reason)
    shift = exponent(currency) - exponent(event.currency)
    signals.event_currency_changed.send(event, currency=currency, shift=shift)


def update_registration(event: Event, data: dict, *, actor: User | None, actor_label: str | None = None) -> dict:
    """Registration settings. `data`: opens_at, closes_at, cancel_allowed_until (wall-clock in the
    event's timezone or None), capacity, max_tickets_per_order, approval_limit,
    max_registrations_per_email (int or None; left as it is when the key is absent), invite_only,
    requires_approval (bool)."""
    tz = event.timezone

    def utc(key):
        return timeutil.to_utc(data[key], tz) if data.get(key) else None

    values = {
        "registration_opens_at": utc("opens_at"),
        "registration_closes_at": utc("closes_at"),
        "cancel_allowed_until": utc("cancel_allowed_until"),
        "capacity": data.get("capacity"),
        "max_tickets_per_order": data.get("max_tickets_per_order") or 10,
        "invite_only": bool(data.get("invite_only")),
        "requires_approval": bool(data.get("requires_approval")),
        "approval_limit": data.get("approval_limit") if data.get("requires_approval") else None,
        "max_registrations_per_email": data.get("max_registrations_per_email", event.max_registrations_per_email),
    }
    opens, closes = values["registration_opens_at"], values["registration_closes_at"]
    if opens and closes and closes <= opens:
        raise FieldError("closes_at", _("Registration must close after it opens."))
    if closes and closes > event.ends_at:
        raise FieldError("closes_at", _("Registration cannot close after the event ends."))
    if values["capacity"] is not None and values["capacity"] < 1:
        raise FieldError("capacity", _("Enter at least 1, or leave it blank for no limit."))
    if values["max_tickets_per_order"] < 1:
        raise FieldError("max_tickets_per_order", _("Enter at least 1."))
    per_email = values["max_registrations_per_email"]
    if per_email is not None and not 1 <= per_email <= 1000:
        raise FieldError(
            "max_registrations_per_email", "Enter a number from 1 to 1000, or leave it blank for no limit."
        )
    if values["approval_limit"] is not None and values["approval_limit"] < 1:
        raise FieldError("approval_limit", _("Enter at least 1, or leave it blank for no limit."))
    with db.atomic():
        changes = audit.diff(event, values)
        if changes:
            event.updated_at = utcnow()
            event.save()
            audit.record(
                event.organization_id,
                "event.registration",
                user=actor,
                actor=actor_label,
                target=event,
                summary=stored_text("Changed registration settings of %(event)s", event=event.name),
                changes=changes,
            )
    return changes


def set_status(event: Event, status: str, *, actor: User | None, actor_label: str | None = None) -> None:
    """Move along draft -> published -> closed -> archived (and back where it makes sense)."""
    if status not in EVENT_STATUSES or (event.status, status) not in TRANSITIONS:
        raise FieldError(
            "status",
            _(
                "A %(current)s event cannot become %(status)s.",
                current=STATUS_LABELS.get(event.status, event.status),
                status=STATUS_LABELS.get(status, status),
            ),
        )
    if status == "published":
        for reason in signals.objections(signals.event_publishing, event):
            raise FieldError("status", reason)
    if status == "published" and event.ends_at <= utcnow():
        raise FieldError("status", _("This event has already ended; change its dates before publishing."))
    if event.status == "published" and status == "draft":
        for reason in signals.objections(signals.event_unpublishing, event):
            raise FieldError("status", reason)
    action = TRANSITIONS[(event.status, status)]
    with db.atomic():
        changes = audit.diff(event, {"status": status})
        event.updated_at = utcnow()
        event.save()
        audit.record(
            event.organization_id,
            action,
            user=actor,
            actor=actor_label,
            target=event,
            summary=stored_text("%(event)s: %(status)s", event=event.name, status=stored_label(status)),
            changes=changes,
        )


def set_cover(event: Event, data: bytes, *, actor: User | None) -> str:
    try:
        name = covers.store_cover(data)
    except covers.CoverError as exc:
        raise FieldError("cover", str(exc)) from None
    old = event.cover_image
    with db.atomic():
        changes = audit.diff(event, {"cover_image": name})
        event.updated_at = utcnow()
        event.save()
        audit.record(
            event.organization_id,
            "event.cover",
            user=actor,
            target=event,
            summary=stored_text("New cover image"),
            changes=changes,
        )
    covers.remove_cover(old)
    return name


def remove_cover(event: Event, *, actor: User | None) -> None:
    old = event.cover_image
    if not old:
        return
    with db.atomic():
        changes = audit.diff(event, {"cover_image": None})
        event.save()
        audit.record(
            event.organization_id,
            "event.cover",
            user=actor,
            target=event,
            summary=stored_text("Removed cover image"),
            changes=changes,
        )
    covers.remove_cover(old)


def set_languages(event: Event, languages: list[str], *, actor: User | None) -> None:
    """`languages[0]` is the main language, the one the event's own texts are written in."""
    languages = [code for code in dict.fromkeys(languages) if code in LANGUAGES]
    if not languages:
        raise FieldError("languages", _("Choose at least one language."))
    with db.atomic():
        changes = audit.diff(event, {"languages": languages})
        if changes:
            event.save()
            audit.record(
                event.organization_id,
                "event.languages",
                user=actor,
                target=event,
                summary=stored_text("Languages: %(languages)s", languages=", ".join(languages)),
                changes=changes,
            )


def update_translation(event: Event, locale: str, texts: dict, *, actor: User | None) -> None:
    """The event's name, summary and description in another of its languages (blank: fall back to
    the main language)."""
    if locale not in LANGUAGES:
        raise FieldError("locale", _("Unknown language."))
    translations = dict(event.translations or {})
    translations[locale] = {k: (texts.get(k) or "").strip() for k in TRANSLATED_FIELDS if (texts.get(k) or "").strip()}
    if not translations[locale]:
        translations.pop(locale)
    with db.atomic():
        changes = audit.diff(event, {"translations": translations})
        if not changes:
            return
        event.updated_at = utcnow()
        event.save()
        audit.record(
            event.organization_id,
            "event.translation",
            user=actor,
            target=event,
            summary=stored_text("%(language)s texts of %(event)s", language=LANGUAGES[locale], event=event.name),
            changes=changes,
        )
        signals.emit(signals.event_changed, event_id=event.id)


EVENT_BY_ADDRESS = Prepared(
    lambda: (
        Event.select(Event, Organization)
        .join(Organization)
        .where((Organization.slug == Slot("org_slug")) & (Event.slug == Slot("event_slug")))
    )
)


def find_public_event(org_slug: str, event_slug: str) -> Event | None:
    """The event behind a landing-page address, its organization attached (any status: the view
    decides who may see it)."""
    return EVENT_BY_ADDRESS.first(org_slug=org_slug, event_slug=event_slug)


EVENT_VERSION_BY_ADDRESS = Prepared(
    lambda: (
        Event.select(Event.id, Event.page_version)
        .join(Organization)
        .where((Organization.slug == Slot("org_slug")) & (Event.slug == Slot("event_slug")))
        .tuples()
    )
)
EVENT_BY_ID = Prepared(lambda: Event.select(Event, Organization).join(Organization).where(Event.id == Slot("id")))


T = TypeVar("T")

VERSION_KEPT = 0.25  # seconds a landing page's version, once read, answers this process's requests
ADDRESSES_KEPT = 10_000  # addresses whose version a process keeps (then it starts again)


class PageEvents:
    """The events of landing pages, as their last version was read by this process: every change
    the page shows (its organization's name and look included) bumps `Event.page_version`, so a
    copy of that version is the event as it is. The version of an address (one small row) is read
    at most once per `VERSION_KEPT` seconds (under a rush, thousands of requests a second ask for
    one page), and at once after a change made by this process; a change made elsewhere shows
    within that moment. The whole event and its organization are read again only after a change.
    The copies are shared by the requests of the process: only for reading."""

    def __init__(self) -> None:
        self._copies: dict[int, Event] = {}
        self._versions: dict[tuple[str, str], tuple[float, int, int, int]] = {}  # (read at, changes seen, id, version)
        self._kept: dict[tuple[int, str], tuple[int, object]] = {}  # (event id, what): (page version, rows)

    def find(self, org_slug: str, event_slug: str) -> Event | None:
        address, now, changes = (org_slug, event_slug), time.monotonic(), changes_seen_here()
        known = self._versions.get(address)
        if known is not None and now - known[0] < VERSION_KEPT and known[1] == changes:
            event_id, version = known[2], known[3]
        else:
            found = EVENT_VERSION_BY_ADDRESS.first(org_slug=org_slug, event_slug=event_slug)
            if found is None:
                self._versions.pop(address, None)
                return None
            event_id, version = found
            if len(self._versions) >= ADDRESSES_KEPT:
                self._versions.clear()
            self._versions[address] = (now, changes, event_id, version)
        event = self._copies.get(event_id)
        if event is None or event.page_version != version:
            event = EVENT_BY_ID.first(id=event_id)
            if event is None:
                return None
            self._copies[event_id] = event
        return event

    def kept(self, event: Event, what: str, load: Callable[[], T]) -> T:
        """What `load` reads of the page of `event` (its participant groups, its questions: rows
        whose every change the registration form shows bumps the page version), kept with the
        version of `event` and read again once that moves on. For the registration form of a
        copy from `find`: the form is judged by the page of the version the copy is. The rows are
        shared by the requests of the process: only for reading."""
        key = (event.id, what)
        known = self._kept.get(key)
        if known is not None and known[0] == event.page_version:
            return known[1]  # type: ignore[return-value]
        rows = load()
        if len(self._kept) >= ADDRESSES_KEPT:
            self._kept.clear()
        self._kept[key] = (event.page_version, rows)
        return rows


def page_events() -> PageEvents:
    """This app's copies of the landing pages' events (one per app: tests build many apps)."""
    events = current_app.extensions.get("rollcall_page_events")
    if events is None:
        events = current_app.extensions.setdefault("rollcall_page_events", PageEvents())
    return events


def is_visible(event: Event, member_org_ids: set[int]) -> bool:
    """Published and closed events are public; drafts only to members of the organization;
    archived events to nobody on the public page."""
    if event.status in ("published", "closed"):
        return True
    return event.status == "draft" and event.organization_id in member_org_ids
