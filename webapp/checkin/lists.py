"""Check-in lists: which tickets a door admits, when, and how often. Every event has a default list
(all tickets, single entry), created on first use."""

from __future__ import annotations

import datetime as dt

from webapp.accounts import audit
from webapp.accounts.models import User
from webapp.catalog.models import ParticipantGroup, Product, Question
from webapp.checkin import queries
from webapp.checkin.models import Checkin, CheckinList
from webapp.db import db, locked, write_transaction
from webapp.events.models import Event
from webapp.i18n import _, stored_text

DEFAULT_LIST_NAME = "Entrance"


class ListError(ValueError):
    """A rule of check-in lists was broken; `field` names the form field to show it beside."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def default_list(event: Event) -> CheckinList:
    """The event's default list, created the first time anyone asks (once, even when two doors ask
    at the same moment: the event row is the lock)."""
    found = _default(event)
    if found is not None:
        return found
    with write_transaction():
        locked(Event.select(Event.id).where(Event.id == event.id)).execute()
        found = _default(event)
        if found is None:
            found = CheckinList.create(
                organization=event.organization_id, event=event, name=DEFAULT_LIST_NAME, is_default=True
            )
    return found


def _default(event: Event) -> CheckinList | None:
    return queries.DEFAULT_LIST.first(event=event.id)


def lists_for(event: Event) -> list[CheckinList]:
    default_list(event)
    return list(
        CheckinList.select()
        .where(CheckinList.event == event.id)
        .order_by(CheckinList.is_default.desc(), CheckinList.name, CheckinList.id)
    )


def get_list(event: Event, list_id: int | None) -> CheckinList:
    """The event's list with this id (DoesNotExist for another event's), or the default list."""
    if not list_id:
        return default_list(event)
    return CheckinList.get((CheckinList.id == list_id) & (CheckinList.event == event.id))


def save_list(
    event: Event,
    *,
    name: str,
    all_products: bool,
    product_ids: list[int],
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None,
    multi_entry: bool,
    allow_exit: bool,
    actor: User | None,
    checkin_list: CheckinList | None = None,
    group_ids: list[int] | None = None,
) -> CheckinList:
    """Create a list (checkin_list None) or change one. Times are naive UTC. `group_ids`: the
    participant groups the list admits (empty: every group; None: as it was)."""
    name = name.strip()
    if not name:
        raise ListError(_("Give the list a name."), "name")
    own_products = {p.id for p in Product.select(Product.id).where(Product.event == event.id)}
    product_ids = sorted({int(pid) for pid in product_ids or []})
    if not all_products:
        if not product_ids:
            raise ListError(_("Choose at least one ticket type, or admit all of them."), "product_ids")
        if not set(product_ids) <= own_products:
            raise ListError(_("Choose ticket types of this event."), "product_ids")
    if group_ids is None:
        group_ids = list(checkin_list.group_ids or []) if checkin_list is not None else []
    group_ids = sorted({int(gid) for gid in group_ids})
    own_groups = {g.id for g in ParticipantGroup.select(ParticipantGroup.id).where(ParticipantGroup.event == event.id)}
    if not set(group_ids) <= own_groups:
        raise ListError(_("Choose participant groups of this event."), "group_ids")
    if starts_at and ends_at and ends_at <= starts_at:
        raise ListError(_("The window must end after it starts."), "ends_at")
    values = {
        "name": name[:120],
        "all_products": all_products,
        "product_ids": [] if all_products else product_ids,
        "group_ids": group_ids,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "multi_entry": multi_entry,
        "allow_exit": allow_exit,
    }
    with db.atomic():
        if checkin_list is None:
            checkin_list = CheckinList.create(organization=event.organization_id, event=event, **values)
            audit.record(
                event.organization_id,
                "checkin_list.create",
                user=actor,
                target=checkin_list,
                summary=stored_text("Check-in list “%(name)s” created for %(event)s", name=name, event=event.name),
            )
        else:
            changes = audit.diff(checkin_list, values)
            if changes:
                checkin_list.save()
                audit.record(
                    event.organization_id,
                    "checkin_list.update",
                    user=actor,
                    target=checkin_list,
                    summary=stored_text("Check-in list “%(name)s” changed", name=name),
                    changes=changes,
                )
    return checkin_list


def delete_list(checkin_list: CheckinList, *, actor: User | None) -> None:
    """Lists with scans keep their log: only an unused, non-default list can go."""
    if checkin_list.is_default:
        raise ListError(_("The default list cannot be deleted."))
    if Checkin.select().where(Checkin.checkin_list == checkin_list).exists():
        raise ListError(_("This list has scans in its log; it cannot be deleted."))
    with db.atomic():
        audit.record(
            checkin_list.organization_id,
            "checkin_list.delete",
            user=actor,
            target=checkin_list,
            summary=stored_text("Check-in list “%(checkin_list)s” deleted", checkin_list=checkin_list.name),
        )
        checkin_list.delete_instance()


def door_questions(event: Event) -> list[Question]:
    return list(Question.select().where(Question.event == event.id).order_by(Question.position, Question.id))


def set_door_questions(event: Event, question_ids: list[int], *, actor: User | None) -> None:
    """Which answers the door sees on the scan screen (Question.show_at_checkin)."""
    wanted = {int(q) for q in question_ids}
    with db.atomic():
        before = {q.id for q in door_questions(event) if q.show_at_checkin}
        Question.update(show_at_checkin=Question.id.in_(wanted or [0])).where(Question.event == event.id).execute()
        after = {q.id for q in door_questions(event) if q.show_at_checkin}
        if before != after:
            audit.record(
                event.organization_id,
                "event.door_questions",
                user=actor,
                target=event,
                summary=stored_text("Answers shown at the door for %(event)s changed", event=event.name),
                changes={"show_at_checkin": [sorted(before), sorted(after)]},
            )
