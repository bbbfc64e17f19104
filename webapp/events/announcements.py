"""What is new: short notes operators post for an event's ticket holders (shown in their lobby,
newest first)."""

from __future__ import annotations

from webapp.accounts import audit
from webapp.accounts.models import User
from webapp.db import db
from webapp.events.models import Event, EventAnnouncement
from webapp.i18n import _, stored_text, verbatim

MAX_LENGTH = 2000


class AnnouncementError(ValueError):
    pass


def for_event(event: Event, limit: int = 50) -> list[EventAnnouncement]:
    return list(
        EventAnnouncement.select()
        .where(EventAnnouncement.event == event.id)
        .order_by(EventAnnouncement.created_at.desc(), EventAnnouncement.id.desc())
        .limit(limit)
    )


def post(event: Event, body: str, *, actor: User | None) -> EventAnnouncement:
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise AnnouncementError(_("Write the announcement."))
    if len(body) > MAX_LENGTH:
        raise AnnouncementError(_("Keep the announcement under %(n)d characters.", n=MAX_LENGTH))
    if "\x00" in body:
        raise AnnouncementError(_("Write the announcement."))
    with db.atomic():
        announcement = EventAnnouncement.create(
            organization=event.organization_id, event=event.id, body=body, posted_by=actor
        )
        audit.record(
            event.organization_id, "event.announce", user=actor, target=announcement, summary=verbatim(body[:200])
        )
    return announcement


def remove(event: Event, announcement_id: int, *, actor: User | None) -> None:
    announcement = EventAnnouncement.get(
        (EventAnnouncement.id == announcement_id) & (EventAnnouncement.event == event.id)
    )
    with db.atomic():
        audit.record(
            event.organization_id,
            "event.unannounce",
            user=actor,
            target=announcement,
            summary=verbatim(announcement.body[:200]),
        )
        announcement.delete_instance()


MAX_JOIN_MINUTES = 7 * 24 * 60


def update_lobby_settings(
    event: Event, *, join_link_opens_minutes: str, venue_map_url: str, actor: User | None
) -> dict:
    """When the lobby shows the online link (minutes before the start) and the venue map link.
    Raises AnnouncementError with the field's name as its second argument."""
    minutes = (join_link_opens_minutes or "").strip()
    if not minutes.isdigit() or len(minutes) > 6 or int(minutes) > MAX_JOIN_MINUTES:
        raise AnnouncementError(
            _("Enter a number of minutes from 0 to %(n)d.", n=MAX_JOIN_MINUTES), "join_link_opens_minutes"
        )
    url = (venue_map_url or "").strip()
    if url and (len(url) > 500 or not url.startswith(("https://", "http://")) or any(c.isspace() for c in url)):
        raise AnnouncementError(_("Enter a web address starting with https://."), "venue_map_url")
    values = {"join_link_opens_minutes": int(minutes), "venue_map_url": url}
    with db.atomic():
        changes = audit.diff(event, values)
        if changes:
            event.save(only=[Event.join_link_opens_minutes, Event.venue_map_url])
            audit.record(
                event.organization_id, "event.lobby", user=actor, target=event, summary=stored_text("Lobby settings"),
                changes=changes,
            )  # fmt: skip
    return changes
