"""Participant groups of an event: what each is (name, capacity, how people join it, the products
it may buy, its badge layout) and the rules that read only the catalog. Who is in a group, and
seats counted per group, are the orders domain's (webapp/orders/groups.py)."""

from __future__ import annotations

import secrets

import peewee as pw

from webapp.accounts import audit
from webapp.accounts.models import User
from webapp.catalog.models import BADGE_LAYOUTS, GROUP_REGISTRATION, ParticipantGroup, Product
from webapp.db import Prepared, Slot, db
from webapp.events.models import Event, page_changed
from webapp.guards import has_control_characters
from webapp.i18n import _, verbatim

DEFAULT_NAME = "Attendees"
MAX_CAPACITY = 1_000_000


class GroupError(ValueError):
    """A group cannot be saved or removed; `field` names the form field ("" = the whole form)."""

    def __init__(self, message: str, field: str = ""):
        self.field = field
        super().__init__(message)


def new_group_key() -> str:
    """The key in a group's registration link: 64 random bits, hex (survives any keyboard)."""
    return secrets.token_hex(8)


EVENT_GROUPS = Prepared(
    lambda: (
        ParticipantGroup.select()
        .where(ParticipantGroup.event == Slot("event"))
        .order_by(ParticipantGroup.is_default.desc(), ParticipantGroup.position, ParticipantGroup.id)
    )
)


def groups_of(event: Event) -> list[ParticipantGroup]:
    """The event's groups, the default one first (in one statement; an event made before it had
    one gets its default group now)."""
    groups = EVENT_GROUPS.rows(event=event.id)
    if groups and groups[0].is_default:
        return groups
    return [default_group(event), *groups]


def create_default_group(event: Event) -> ParticipantGroup:
    """The default group every event has, made with the event (the `event_created` answer)."""
    return ParticipantGroup.create(
        organization=event.organization_id, event=event.id, name=DEFAULT_NAME, is_default=True, key=new_group_key()
    )


def default_group(event: Event) -> ParticipantGroup:
    """The event's default group. Every event gets it when it is made (migrations 0690 and 0711
    gave one to the events before); one made some other way gets it on first use."""
    group = ParticipantGroup.get_or_none((ParticipantGroup.event == event.id) & ParticipantGroup.is_default)
    if group is not None:
        return group
    try:
        with db.atomic():
            return create_default_group(event)
    except pw.IntegrityError:  # made at the same moment by another request (the name is unique per event)
        return ParticipantGroup.get((ParticipantGroup.event == event.id) & ParticipantGroup.is_default)


def group_of_event(event: Event, group_id: int) -> ParticipantGroup:
    """The event's group with this id, or ParticipantGroup.DoesNotExist (a 404)."""
    return ParticipantGroup.get((ParticipantGroup.id == group_id) & (ParticipantGroup.event == event.id))


def by_key(event: Event, key: str) -> ParticipantGroup | None:
    key = (key or "").strip().lower()
    if not key or len(key) > 32:
        return None
    return ParticipantGroup.get_or_none((ParticipantGroup.event == event.id) & (ParticipantGroup.key == key))


def limited_product_ids(groups: list[ParticipantGroup]) -> set[int]:
    """Products some group is limited to: only those groups may buy them."""
    return {pid for g in groups for pid in (g.product_ids or [])}


def may_buy(group: ParticipantGroup, product_id: int, groups: list[ParticipantGroup]) -> bool:
    """A group with products named buys those; one without buys every product no group names."""
    if group.product_ids:
        return product_id in group.product_ids
    return product_id not in limited_product_ids(groups)


def _int_or_none(value, field: str, *, low: int, high: int = MAX_CAPACITY) -> int | None:
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    if not text.isdigit() or len(text) > 7 or not low <= int(text) <= high:
        raise GroupError(_("Enter a whole number from %(low)d to %(high)d.", low=low, high=high), field)
    return int(text)


def clean(event: Event, data: dict, group: ParticipantGroup | None = None) -> dict:
    """The checked values of a group form or API body; GroupError names the first bad field."""
    name = str(data.get("name") or "").strip()
    if not name:
        raise GroupError(_("Enter a name."), "name")
    if len(name) > 100 or has_control_characters(name):
        raise GroupError(_("Write the name on one line, under 100 characters."), "name")
    taken = ParticipantGroup.select().where(
        (ParticipantGroup.event == event.id) & (pw.fn.LOWER(ParticipantGroup.name) == name.lower())
    )
    if group is not None:
        taken = taken.where(ParticipantGroup.id != group.id)
    if taken.exists():
        raise GroupError(_("This event has a group with this name already."), "name")
    registration = str(data.get("registration") or "open")
    if registration not in GROUP_REGISTRATION:
        raise GroupError(_("Choose how people join this group."), "registration")
    if group is not None and group.is_default and registration == "invited":
        raise GroupError(_("The default group takes everyone who registers on the event page."), "registration")
    accept_limit = _int_or_none(data.get("accept_limit"), "accept_limit", low=0)
    if registration == "accept_limit" and accept_limit is None:
        raise GroupError(_("Enter how many registrations are accepted at once."), "accept_limit")
    layout = str(data.get("badge_layout") or "standard")
    if layout not in BADGE_LAYOUTS:
        raise GroupError(_("Choose a badge layout."), "badge_layout")
    return {
        "name": name,
        "capacity": _int_or_none(data.get("capacity"), "capacity", low=0),
        "registration": registration,
        "accept_limit": accept_limit if registration == "accept_limit" else None,
        "product_ids": _product_ids(event, data.get("product_ids")),
        "badge_layout": layout,
    }


def _product_ids(event: Event, values) -> list[int]:
    if values in (None, ""):
        return []
    if not isinstance(values, list | tuple):
        raise GroupError(_("Choose products of this event."), "product_ids")
    ids = set()
    for value in values:
        text = str(value).strip()
        if not text.isdigit() or len(text) > 12:
            raise GroupError(_("Choose products of this event."), "product_ids")
        ids.add(int(text))
    found = {p.id for p in Product.select(Product.id).where((Product.event == event.id) & Product.id.in_(list(ids)))}
    if ids - found:
        raise GroupError(_("Choose products of this event."), "product_ids")
    return sorted(ids)


def create(event: Event, data: dict, *, actor: User | None, actor_label: str | None = None) -> ParticipantGroup:
    default_group(event)
    values = clean(event, data)
    with db.atomic():
        position = ParticipantGroup.select().where(ParticipantGroup.event == event.id).count()
        group = ParticipantGroup.create(
            organization=event.organization_id, event=event.id, key=new_group_key(), position=position, **values
        )
        page_changed(event.id)  # the products the landing page offers may change
        audit.record(
            event.organization_id,
            "group.create",
            user=actor,
            actor=actor_label,
            target=group,
            summary=verbatim(group.name),
        )
    return group


def update(group: ParticipantGroup, data: dict, *, actor: User | None, actor_label: str | None = None) -> dict:
    values = clean(group.event, data, group)
    with db.atomic():
        changes = audit.diff(group, values)
        if changes:
            group.save()
            page_changed(group.event_id)
            audit.record(
                group.organization_id, "group.update", user=actor, actor=actor_label, target=group,
                summary=verbatim(group.name), changes=changes,
            )  # fmt: skip
    return changes


def new_link(group: ParticipantGroup, *, actor: User | None) -> None:
    """A new registration link: the old one stops working (it was passed on too widely)."""
    with db.atomic():
        group.key = new_group_key()
        group.save(only=[ParticipantGroup.key])
        page_changed(group.event_id)  # a registration form judged by the page's groups stops taking the old link
        audit.record(group.organization_id, "group.new_link", user=actor, target=group, summary=verbatim(group.name))
