"""Who is in which participant group: the group a registration joins, seats counted per group
(under the checkout's seat lock), moving people between groups, and removing a group.

A registrant whose `group` is None is in the event's default group (people added before groups
existed were moved into it by migration 0690; an operator's additions join it)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import peewee as pw

from webapp.accounts import audit
from webapp.accounts.models import User
from webapp.catalog import groups as catalog_groups
from webapp.catalog.models import ParticipantGroup
from webapp.db import Prepared, Slot, db, locked, utcnow, write_transaction
from webapp.events.models import Event, page_changed
from webapp.i18n import _, ngettext, stored_text, verbatim
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
    return _members(group.is_default, group.event_id, group.id)


def _members(default: bool, event_id, group_id) -> pw.Expression:
    """Registrants of a group, the default group's including those without one (ids or Slots)."""
    if default:
        return (Registrant.event == event_id) & ((Registrant.group == group_id) | Registrant.group.is_null())
    return Registrant.group == group_id


def _holding(members: pw.Expression, now) -> pw.Expression:
    """Of `members`, those holding a seat: not canceled, in an order that holds seats."""
    return members & (Registrant.canceled == False) & capacity.holding_orders(now)  # noqa: E712


def _count(where: pw.Expression) -> pw.Select:
    return Registrant.select(pw.fn.COUNT(Registrant.id)).join(Order, on=(Order.id == Registrant.order)).where(where)


def seats_taken(group: ParticipantGroup, *, exclude: list[int] | None = None) -> int:
    """Registrants of the group holding a seat now: not canceled, in an order that holds seats."""
    query = _count(_holding(in_group(group), utcnow()))
    if exclude:
        query = query.where(Registrant.id.not_in(exclude))
    return query.scalar() or 0


def seats_left(group: ParticipantGroup) -> int | None:
    return None if group.capacity is None else max(group.capacity - seats_taken(group), 0)


def _seats_with_group(default: bool) -> pw.Select:
    """The event's seats under the lock (`capacity.seats_query`) with the group's own counts as
    two more columns, each read only when its slot asks for it (PostgreSQL runs an uncorrelated
    subquery once, when first needed): `group_taken` (its people holding a seat) and
    `group_accepted` (those of them not awaiting acceptance)."""
    holding = _holding(_members(default, Slot("event"), Slot("group")), Slot("now", Order.expires_at.db_value))
    accepted = holding & (Order.approval != "pending")
    return locked(
        capacity.seats_query(
            pw.Case(None, [(Slot("count_taken"), _count(holding))]).alias("group_taken"),
            pw.Case(None, [(Slot("count_accepted"), _count(accepted))]).alias("group_accepted"),
        )
    )


# by whether the group is the event's default one (its people include those without a group)
SEATS_WITH_GROUP = {default: Prepared(lambda default=default: _seats_with_group(default)) for default in (True, False)}


@dataclass(frozen=True)
class Counted:
    """A group's seats read with the event's, under the seat lock (None: not needed, not read)."""

    taken: int | None = None  # its people holding a seat (`reserve`)
    accepted: int | None = None  # of those, the ones not awaiting acceptance (`accepted_at_once`)


def reserve_seats(
    event: Event, wanted: dict[int, int], group: ParticipantGroup, *, offer_id: int | None = None
) -> tuple[capacity.Seats | None, Counted]:
    """`capacity.reserve` for a registration joining `group`, with the group's counts that its
    checks (`reserve`, `accepted_at_once`) need read by the same statement, under the same lock:
    no round trip of their own while every buyer of the event waits for the lock."""
    count_taken, count_accepted = group.capacity is not None, group.registration == "accept_limit"
    if not (count_taken or count_accepted):
        return capacity.reserve(event, wanted, offer_id=offer_id), Counted()
    values = {"group": group.id, "count_taken": count_taken, "count_accepted": count_accepted}
    seats = capacity.reserve(event, wanted, offer_id=offer_id, read_with=(SEATS_WITH_GROUP[group.is_default], values))
    if seats is None or not seats.products:
        return seats, Counted()
    row = seats.products[0]
    return seats, Counted(row.group_taken, row.group_accepted)


def reserve(
    group: ParticipantGroup, people: int, *, exclude: list[int] | None = None, taken: int | None = None
) -> None:
    """Raise GroupFull unless `people` more fit in the group. Inside `write_transaction()`, after
    the event's seat lock (`capacity.reserve` or `capacity.lock_seats`): every writer that adds
    people to the event's groups holds it, so the count cannot change before the commit.
    `taken`: the group's seats as read under that lock already (`reserve_seats`)."""
    if group.capacity is None or people <= 0:
        return
    left = group.capacity - (seats_taken(group, exclude=exclude) if taken is None else taken)
    if people > left:
        raise GroupFull(group, left)


def accepted_at_once(group: ParticipantGroup, people: int, *, accepted: int | None = None) -> bool:
    """Whether a new registration of `people` is accepted without the operator (under the seat
    lock, like `reserve`): always in open and invited groups, never in "acceptance" groups, and
    in "accept_limit" groups while the registrations not awaiting acceptance stay within it.
    `accepted`: those registrations as read under the lock already (`reserve_seats`)."""
    if group.registration == "acceptance":
        return False
    if group.registration != "accept_limit":
        return True
    if accepted is None:
        accepted = accepted_seats(group)
    return accepted + people <= (group.accept_limit or 0)


def accepted_seats(group: ParticipantGroup) -> int:
    """The group's people holding a seat who do not await acceptance (accepted at once or by an
    operator): what a group's accept limit counts."""
    return _count(_holding(in_group(group), utcnow()) & (Order.approval != "pending")).scalar() or 0


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


def group_for_registration(
    event: Event, invitation: Invitation | None, link_key: str = "", *, among: list[ParticipantGroup] | None = None
) -> ParticipantGroup:
    """The group a new registration joins: the invitation's, else the group of the registration
    link (`?group=<key>`), else the event's default group. `among`: the event's groups, when the
    caller has them (`catalog_groups.groups_of`)."""
    groups = catalog_groups.groups_of(event) if among is None else among
    if invitation is not None and invitation.group_id:
        group = next((g for g in groups if g.id == invitation.group_id), None)
        if group is not None:
            return group
    key = (link_key or "").strip().lower()
    if key and len(key) <= 32:
        group = next((g for g in groups if g.key == key), None)
        if group is not None:
            return group
    return next((g for g in groups if g.is_default), None) or catalog_groups.default_group(event)


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
                summary=stored_text("%(old)s → %(target)s", old=old, target=target.name), changes={"group": [old, target.name]},
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
            group.organization_id,
            "group.remove",
            user=actor,
            actor=actor_label,
            target=group,
            summary=verbatim(group.name),
        )
        group.delete_instance()
        page_changed(group.event_id)
