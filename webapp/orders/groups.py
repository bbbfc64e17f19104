"""Who is in which participant group: the group a registration joins, seats counted per group
(under the checkout's seat lock), moving people between groups, and removing a group.

A registrant whose `group` is None is in the event's default group (people added before groups
existed were moved into it by migration 0690; an operator's additions join it)."""

from __future__ import annotations

from collections import Counter

import peewee as pw

from webapp.accounts import audit
from webapp.accounts.models import User
from webapp.catalog import groups as catalog_groups
from webapp.catalog.models import ParticipantGroup
from webapp.db import db, utcnow, write_transaction
from webapp.events.models import Event, page_changed
from webapp.i18n import _, ngettext
from webapp.orders import capacity
from webapp.orders.models import Invitation, Order, Registrant


class GroupFull(Exception):
    """The group has fewer seats left than wanted."""

    def __init__(self, group: ParticipantGroup, available: int):
        self.group = group
        self.available = max(available, 0)
        super().__init__(f"group {group.id} has {self.available} seat(s) left")


class MoveError(ValueError):
    pass


def in_group(group: ParticipantGroup) -> pw.Expression:
    """Registrants of `group` (a WHERE condition on Registrant)."""
    if group.is_default:
        return (Registrant.event == group.event_id) & ((Registrant.group == group.id) | Registrant.group.is_null())
    return Registrant.group == group.id


def seats_taken(group: ParticipantGroup, *, exclude: list[int] | None = None) -> int:
    """Registrants of the group holding a seat now: not canceled, in an order that holds seats."""
    query = (
        Registrant.select(pw.fn.COUNT(Registrant.id))
        .join(Order, on=(Order.id == Registrant.order))
        .where(in_group(group) & (Registrant.canceled == False) & capacity.holding_orders(utcnow()))  # noqa: E712
    )
    if exclude:
        query = query.where(Registrant.id.not_in(exclude))
    return query.scalar() or 0


def seats_left(group: ParticipantGroup) -> int | None:
    return None if group.capacity is None else max(group.capacity - seats_taken(group), 0)


def reserve(group: ParticipantGroup, people: int, *, exclude: list[int] | None = None) -> None:
    """Raise GroupFull unless `people` more fit in the group. Inside `write_transaction()`, after
    the event's seat lock (`capacity.reserve` or `capacity.lock_seats`): every writer that adds
    people to the event's groups holds it, so the count cannot change before the commit."""
    if group.capacity is None or people <= 0:
        return
    left = group.capacity - seats_taken(group, exclude=exclude)
    if people > left:
        raise GroupFull(group, left)


def accepted_at_once(group: ParticipantGroup, people: int) -> bool:
    """Whether a new registration of `people` is accepted without the operator (under the seat
    lock, like `reserve`): always in open and invited groups, never in "acceptance" groups, and
    in "accept_limit" groups while the registrations not awaiting acceptance stay within it."""
    if group.registration == "acceptance":
        return False
    if group.registration != "accept_limit":
        return True
    return accepted_seats(group) + people <= (group.accept_limit or 0)


def accepted_seats(group: ParticipantGroup) -> int:
    """The group's people holding a seat who do not await acceptance (accepted at once or by an
    operator): what a group's accept limit counts."""
    return (
        Registrant.select(pw.fn.COUNT(Registrant.id))
        .join(Order, on=(Order.id == Registrant.order))
        .where(
            in_group(group)
            & (Registrant.canceled == False)  # noqa: E712
            & (Order.approval != "pending")
            & capacity.holding_orders(utcnow())
        )
        .scalar()
        or 0
    )


def accept_limit_refusal(event: Event, order: Order) -> str | None:
    """Why accepting `order` (awaiting acceptance) would take a group past its accept limit, or
    None when it fits. Call it under the event's seat lock (`capacity.lock_seats`), as
    registration decides `accepted_at_once` under it: two operators accepting at once are
    counted one after the other."""
    default = catalog_groups.default_group(event)
    people = Counter(
        r.group_id or default.id
        for r in Registrant.select(Registrant.group).where(
            (Registrant.order == order.id) & (Registrant.canceled == False)  # noqa: E712
        )
    )
    if not people:
        return None
    for group in ParticipantGroup.select().where(ParticipantGroup.id.in_(list(people))).order_by(ParticipantGroup.id):
        if group.registration != "accept_limit" or group.accept_limit is None:
            continue
        left = group.accept_limit - accepted_seats(group)
        if people[group.id] > left:
            return ngettext(
                "Accepting this would pass the accept limit of %(group)s (%(limit)s): %(num)d more person can be accepted.",
                "Accepting this would pass the accept limit of %(group)s (%(limit)s): %(num)d more people can be accepted.",
                max(left, 0), group=group.name, limit=group.accept_limit,
            )  # fmt: skip
    return None


def group_for_registration(event: Event, invitation: Invitation | None, link_key: str = "") -> ParticipantGroup:
    """The group a new registration joins: the invitation's, else the group of the registration
    link (`?group=<key>`), else the event's default group."""
    if invitation is not None and invitation.group_id:
        group = ParticipantGroup.get_or_none(ParticipantGroup.id == invitation.group_id)
        if group is not None:
            return group
    if link_key:
        group = catalog_groups.by_key(event, link_key)
        if group is not None:
            return group
    return catalog_groups.default_group(event)


def counts(event: Event) -> dict[int, int]:
    """Registrants per group id (canceled ones left out), the default group's including those
    without a group."""
    default = catalog_groups.default_group(event)
    rows = (
        Registrant.select(Registrant.group, pw.fn.COUNT(Registrant.id))
        .where((Registrant.event == event.id) & (Registrant.canceled == False))  # noqa: E712
        .group_by(Registrant.group)
        .tuples()
    )
    out: Counter = Counter()
    for group_id, n in rows:
        out[group_id or default.id] += n
    return dict(out)


def move(
    event: Event, registrant_ids: list[int], target: ParticipantGroup, *, actor: User | None,
    actor_label: str | None = None,
) -> int:  # fmt: skip
    """Move the event's registrants to `target` (one audit entry each); the target's capacity is
    checked for the people who hold a seat. Returns how many moved."""
    if target.event_id != event.id:
        raise MoveError(_("Choose a group of this event."))
    ids = sorted({int(i) for i in registrant_ids})
    if not ids:
        raise MoveError(_("Choose at least one registrant."))
    with write_transaction():
        capacity.lock_seats(event)
        people = list(
            Registrant.select().where((Registrant.event == event.id) & Registrant.id.in_(ids)).order_by(Registrant.id)
        )
        if len(people) != len(ids):
            raise MoveError(_("Choose registrants of this event."))
        default = catalog_groups.default_group(event)
        moving = [r for r in people if (r.group_id or default.id) != target.id]
        holding = [r.id for r in moving if not r.canceled]
        try:
            reserve(target, len(holding), exclude=holding)
        except GroupFull as exc:
            raise MoveError(
                ngettext("%(group)s has %(num)d seat left.", "%(group)s has %(num)d seats left.", exc.available,
                         group=target.name)
            ) from None  # fmt: skip
        names = {g.id: g.name for g in ParticipantGroup.select().where(ParticipantGroup.event == event.id)}
        default_name = default.name
        now = utcnow()
        for registrant in moving:
            Registrant.update(group=target.id, updated_at=now).where(Registrant.id == registrant.id).execute()
            old = names.get(registrant.group_id, default_name)
            audit.record(
                event.organization_id, "registrant.move_group", user=actor, actor=actor_label, target=registrant,
                summary=f"{old} → {target.name}", changes={"group": [old, target.name]},
            )  # fmt: skip
    return len(moving)


def remove(group: ParticipantGroup, *, actor: User | None, actor_label: str | None = None) -> None:
    """Remove a group nobody is in (the default group stays)."""
    if group.is_default:
        raise catalog_groups.GroupError(_("The default group cannot be removed."))
    with db.atomic():
        if Registrant.select().where(Registrant.group == group.id).exists():
            raise catalog_groups.GroupError(_("Move this group's registrants to another group first."))
        audit.record(
            group.organization_id, "group.remove", user=actor, actor=actor_label, target=group, summary=group.name
        )
        group.delete_instance()
        page_changed(group.event_id)
