"""The order lifecycle: payment, cancellation, refunds, approval, attendee changes, manual adds.

Every change runs in one serialized transaction (`write_transaction`, the order row locked on
PostgreSQL), records an audit entry when an operator did it, and announces itself with a signal
that receivers see only after the commit. Seats that free up go to the waiting list first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from webapp import signals
from webapp.accounts import audit
from webapp.accounts.models import User
from webapp.catalog.models import Coupon, Product
from webapp.db import locked, utcnow, write_transaction
from webapp.email_address import is_valid_email
from webapp.events.models import Event
from webapp.guards import person_name_problem
from webapp.i18n import StoredText, _, stored_text, stored_word, verbatim
from webapp.orders import additions, capacity, groups, per_email, waitlist
from webapp.orders.checkout import _unique_code, per_email_message
from webapp.orders.models import Invitation, Order, OrderItem, Registrant
from webapp.runtime import settings


class OrderError(ValueError):
    """The action does not fit the order's state; the message is fit to show to the operator.
    `field`: the form field it is about, when there is one."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def _lock(order_id: int) -> Order:
    return locked(Order.select().where(Order.id == order_id)).get()


def _record(order: Order, action: str, actor: User | None, summary: StoredText, actor_label: str | None = None, **kw):
    if actor is not None or actor_label:
        audit.record(order.organization_id, action, user=actor, actor=actor_label, target=order, summary=summary, **kw)


def holds_seats(order: Order, now: dt.datetime | None = None) -> bool:
    now = now or utcnow()
    return order.status == "paid" or (
        order.status == "pending" and (order.expires_at is None or order.expires_at > now)
    )


def wanted_seats(order: Order) -> dict[int, int]:
    wanted: dict[int, int] = {}
    for item in OrderItem.select().where((OrderItem.order == order.id) & (OrderItem.canceled == False)):  # noqa: E712
        wanted[item.product_id] = wanted.get(item.product_id, 0) + 1
    return wanted


def _count_uses(order: Order, sign: int) -> None:
    """Give back (-1) or take again (+1) the coupon uses and the invitation use of an order.
    They count while the order is pending or paid; a refund keeps them (the code was used)."""
    if order.coupon_id and order.coupon_uses:
        n = order.coupon_uses
        Coupon.update(times_used=Coupon.times_used + sign * n).where(
            (Coupon.id == order.coupon_id) & ((Coupon.times_used >= n) if sign < 0 else True)
        ).execute()
    if order.invitation_id:
        Invitation.update(times_used=Invitation.times_used + sign).where(
            (Invitation.id == order.invitation_id) & ((Invitation.times_used >= 1) if sign < 0 else True)
        ).execute()


def _end(order: Order, status: str, **fields) -> None:
    """pending/paid -> canceled/expired/refunded: registrants canceled, seats and uses given back,
    the freed seats offered to the waiting list."""
    Registrant.update(canceled=True, updated_at=utcnow()).where(Registrant.order == order.id).execute()
    if status in ("canceled", "expired") and order.status in ("pending", "paid"):
        _count_uses(order, -1)
    for name, value in {"status": status, "updated_at": utcnow(), **fields}.items():
        setattr(order, name, value)
    order.save()
    waitlist.offer_freed_seats(order.event)


def _mark_paid(order: Order, gateway: str | None) -> None:
    now = utcnow()
    order.status, order.paid_at, order.updated_at = "paid", now, now
    order.gateway = gateway or order.gateway
    order.expires_at = None
    order.save()
    Registrant.update(canceled=False, updated_at=now).where(
        (Registrant.order == order.id)
        & Registrant.item.in_(
            OrderItem.select(OrderItem.id).where((OrderItem.order == order.id) & (OrderItem.canceled == False))  # noqa: E712
        )
    ).execute()
    signals.emit(signals.order_paid, order_id=order.id)


def _revive(order: Order) -> bool:
    """Take the seats again for an order whose hold ran out; False when they are gone."""
    try:
        capacity.reserve(order.event, wanted_seats(order))
    except capacity.SoldOut:
        return False
    if order.status == "expired":
        _count_uses(order, +1)
    return True


def confirm_payment(order_id: int, *, amount: int, currency: str, gateway: str, reference: str) -> str:
    """A gateway says the order is paid. Idempotent: "paid" the first time, "already_paid" after;
    "flagged" (left for an operator) on an amount/currency mismatch, for a canceled order, or when
    an expired order's seats are gone."""
    with write_transaction():
        order = _lock(order_id)
        if order.status == "paid":
            return "already_paid"
        label = stored_text("%(gateway)s payment %(reference)s", gateway=gateway, reference=reference)
        if amount != order.total or currency.upper() != order.currency:
            return _flag(
                order,
                stored_text(
                    "Paid %(amount)s %(currency)s by %(payment)s, expected %(total)s %(expected_currency)s",
                    amount=amount,
                    currency=currency,
                    payment=label,
                    total=order.total,
                    expected_currency=order.currency,
                ),
            )
        if order.status in ("canceled", "refunded"):
            return _flag(
                order,
                stored_text("Paid by %(payment)s after the order was canceled: refund or reinstate", payment=label)
                if order.status == "canceled"
                else stored_text(
                    "Paid by %(payment)s after the order was refunded: refund or reinstate", payment=label
                ),
            )
        if not holds_seats(order) and not _revive(order):
            return _flag(
                order,
                stored_text(
                    "Paid by %(payment)s after its hold expired, and the seats are gone: refund or add", payment=label
                ),
            )
        order.flag = None
        _mark_paid(order, gateway)
        audit.record(order.organization_id, "order.paid", actor=f"{gateway} gateway", target=order, summary=label)
        return "paid"


def _flag(order: Order, message: StoredText) -> str:
    order.flag, order.flag_i18n, order.updated_at = message.english[:200], message.to_json(), utcnow()
    order.save()
    audit.record(order.organization_id, "order.flagged", actor="system", target=order, summary=message)
    return "flagged"


def revoke_payment(order_id: int, *, reason: StoredText) -> None:
    """A settlement turned into a deny or a refund at the gateway: the order is unpaid again and
    holds its seats for one more hold period, so the attendee can pay another way."""
    with write_transaction():
        order = _lock(order_id)
        if order.status != "paid":
            return
        now = utcnow()
        order.status, order.paid_at, order.updated_at = "pending", None, now
        order.expires_at = now + dt.timedelta(minutes=settings().order_hold_minutes)
        flag = stored_text("Payment revoked: %(reason)s", reason=reason)
        order.flag, order.flag_i18n = flag.english[:200], flag.to_json()
        order.save()
        audit.record(order.organization_id, "order.payment_revoked", actor="system", target=order, summary=reason)
        for registrant_id in [r.id for r in order.registrants]:
            signals.emit(signals.registrant_changed, registrant_id=registrant_id)


def mark_paid_manually(
    order: Order, *, actor: User | None, gateway: str = "bank", actor_label: str | None = None
) -> None:
    """An operator saw the money (bank transfer, cash at the door)."""
    with write_transaction():
        order = _lock(order.id)
        if order.status == "paid":
            raise OrderError(_("This order is already paid."))
        if order.status in ("canceled", "refunded"):
            raise OrderError(
                _("This order is canceled.") if order.status == "canceled" else _("This order is refunded.")
            )
        if order.approval == "pending":
            raise OrderError(_("Approve the registration first."))
        if not holds_seats(order) and not _revive(order):
            raise OrderError(_("The hold on this order ran out and its seats are taken."))
        order.flag = None
        _mark_paid(order, gateway)
        _record(order, "order.mark_paid", actor, stored_text("Marked paid (%(gateway)s)", gateway=gateway), actor_label)


def cancel_order(order: Order, *, actor: User | None, reason: str = "", actor_label: str | None = None) -> None:
    """Cancel (operator, or the attendee with actor=None before the event's deadline)."""
    with write_transaction():
        order = _lock(order.id)
        if order.status not in ("pending", "paid", "expired"):
            raise OrderError(
                _("This order is already refunded.")
                if order.status == "refunded"
                else _("This order is already canceled.")
            )
        _end(order, "canceled", canceled_at=utcnow())
        _record(order, "order.cancel", actor, verbatim(reason) if reason else stored_text("Canceled"), actor_label)
        signals.emit(signals.order_canceled, order_id=order.id)


def attendee_may_cancel(order: Order, now: dt.datetime | None = None) -> bool:
    deadline = order.event.cancel_allowed_until
    return order.status in ("pending", "paid") and deadline is not None and (now or utcnow()) < deadline


def cancel_by_attendee(order: Order) -> None:
    if not attendee_may_cancel(order):
        raise OrderError(_("This order can no longer be canceled online. Contact the organizer."))
    cancel_order(order, actor=None, reason="Canceled by the attendee", actor_label=f"attendee {order.buyer_email}")


def mark_refunded(order: Order, *, actor: User | None, actor_label: str | None = None) -> None:
    with write_transaction():
        order = _lock(order.id)
        if order.status not in ("paid", "canceled") or (order.status == "canceled" and order.paid_at is None):
            raise OrderError(_("Only a paid order (or a canceled one that was paid) can be refunded."))
        was = order.status
        _end(order, "refunded", refunded_at=utcnow(), canceled_at=order.canceled_at or utcnow())
        _record(order, "order.refund", actor, stored_text("Marked refunded"), actor_label)
        if was == "paid":
            signals.emit(signals.order_canceled, order_id=order.id)


def approved_count(event: Event) -> int:
    return (
        Registrant.select()
        .join(Order)
        .where((Registrant.event == event.id) & (Order.approval == "approved") & (Registrant.canceled == False))  # noqa: E712
        .count()
    )


def approve_order(order: Order, *, actor: User | None, actor_label: str | None = None) -> None:
    """Accept a registration awaiting acceptance, within the event's approval limit and its
    groups' accept limits, counted under the event's seat lock (taken before the order's row, as
    checkout takes it) so that two operators accepting at once cannot both pass a limit."""
    with write_transaction():
        event = Event.get_by_id(order.event_id)
        capacity.lock_seats(event)
        order = _lock(order.id)
        if order.approval != "pending" or order.status != "pending":
            raise OrderError(_("This registration is not waiting for approval."))
        people = order.registrants.where(Registrant.canceled == False).count()  # noqa: E712
        if event.approval_limit is not None and approved_count(event) + people > event.approval_limit:
            raise OrderError(
                _("Accepting this would pass the limit of %(limit)s accepted attendees.", limit=event.approval_limit)
            )
        refusal = groups.accept_limit_refusal(event, order)
        if refusal:
            raise OrderError(refusal)
        order.approval = "approved"
        if order.total == 0:
            _mark_paid(order, None)
        else:
            order.expires_at = utcnow() + dt.timedelta(minutes=settings().order_hold_minutes)
            order.save()
        _record(order, "order.approve", actor, stored_text("Registration accepted"), actor_label)
        signals.emit(signals.order_approved, order_id=order.id)


def decline_order(order: Order, *, actor: User | None, actor_label: str | None = None) -> None:
    with write_transaction():
        order = _lock(order.id)
        if order.approval != "pending" or order.status != "pending":
            raise OrderError(_("This registration is not waiting for approval."))
        _end(order, "canceled", approval="declined", canceled_at=utcnow())
        _record(order, "order.decline", actor, stored_text("Registration declined"), actor_label)
        signals.emit(signals.order_declined, order_id=order.id)
        signals.emit(signals.order_canceled, order_id=order.id)


def expire_due_orders(now: dt.datetime | None = None, limit: int = 200) -> int:
    """Pending orders past their hold become expired; their seats go to the waiting list."""
    now = now or utcnow()
    ids = [
        o.id
        for o in Order.select(Order.id)
        .where((Order.status == "pending") & (Order.expires_at <= now))
        .order_by(Order.expires_at)
        .limit(limit)
    ]
    expired = 0
    for order_id in ids:
        with write_transaction():
            order = _lock(order_id)
            if order.status != "pending" or order.expires_at is None or order.expires_at > now:
                continue  # paid or extended meanwhile
            _end(order, "expired")
            signals.emit(signals.order_canceled, order_id=order.id)
            expired += 1
    return expired


def update_registrant(
    registrant: Registrant, *, name: str, email: str, answers: dict, actor: User | None,
    actor_label: str | None = None, limit_per_email: bool = False,
) -> Registrant:  # fmt: skip
    """Change an attendee's name, email and answers. `limit_per_email`: the attendee edits their
    own order, so the event's limit of registrations per email address applies to the new email
    (operators are not limited)."""
    name, email = (name or "").strip(), (email or "").strip().lower()
    problem = person_name_problem(name) if name else _("Enter the participant's name.")
    if problem:
        raise OrderError(problem, "name")
    if not is_valid_email(email):
        raise OrderError(_("Enter an email address such as ana@example.org."), "email")
    with write_transaction():
        registrant = locked(Registrant.select().where(Registrant.id == registrant.id)).get()
        if limit_per_email and email != registrant.email:
            _check_per_email(registrant, email)
        changes = audit.diff(registrant, {"name": name, "email": email, "answers": answers})
        if not changes:
            return registrant
        registrant.updated_at = utcnow()
        registrant.save()
        if actor is not None or actor_label:
            audit.record(
                registrant.organization_id, "registrant.update", user=actor, actor=actor_label,
                target=registrant, summary=stored_text("Changed %(changes)s", changes=', '.join(changes)), changes=changes,
            )  # fmt: skip
        signals.emit(signals.registrant_changed, registrant_id=registrant.id)
    return registrant


def _check_per_email(registrant: Registrant, email: str) -> None:
    buyer = Order.select(Order.buyer_email).where(Order.id == registrant.order_id).scalar()
    try:
        per_email.check(registrant.event_id, [(email, buyer)], exclude_registrant_id=registrant.id)
    except per_email.LimitReached as exc:
        raise OrderError(per_email_message(exc), "email") from None


def cancel_registrant(registrant: Registrant, *, actor: User | None, actor_label: str | None = None) -> None:
    """One attendee of an order no longer comes: their ticket is void and their seat freed."""
    with write_transaction():
        registrant = locked(Registrant.select().where(Registrant.id == registrant.id)).get()
        if registrant.canceled:
            raise OrderError(_("This attendee is already canceled."))
        registrant.canceled, registrant.updated_at = True, utcnow()
        registrant.save()
        if registrant.item_id:
            capacity.lock_seats(registrant.event)  # the seat tally's row is locked after the event's
            OrderItem.update(canceled=True).where(OrderItem.id == registrant.item_id).execute()
        audit.record(
            registrant.organization_id, "registrant.cancel", user=actor, actor=actor_label,
            target=registrant, summary=stored_text("Canceled %(registrant)s", registrant=registrant.name),
        )  # fmt: skip
        waitlist.offer_freed_seats(registrant.event)
        signals.emit(signals.registrant_changed, registrant_id=registrant.id)


def change_product(
    registrant: Registrant, product: Product, *, actor: User | None, actor_label: str | None = None
) -> None:
    """Move an attendee to another ticket type of the same event (capacity checked)."""
    if product.event_id != registrant.event_id or not product.admits_entry:
        raise OrderError(_("Choose a ticket type of this event."))
    with write_transaction():
        registrant = locked(Registrant.select().where(Registrant.id == registrant.id)).get()
        if registrant.product_id == product.id:
            return
        old = registrant.product
        capacity.lock_seats(registrant.event)  # before the item changes: the seat tally's row after the event's
        if registrant.item_id:  # its current seat does not count while we check the new one
            OrderItem.update(canceled=True).where(OrderItem.id == registrant.item_id).execute()
        if not registrant.canceled and holds_seats(registrant.order):
            try:
                capacity.reserve(registrant.event, {product.id: 1})
            except capacity.SoldOut:
                raise OrderError(_("%(product)s has no seat left.", product=product.name)) from None
        if registrant.item_id:
            OrderItem.update(canceled=registrant.canceled, product=product).where(
                OrderItem.id == registrant.item_id
            ).execute()
        changes = audit.diff(registrant, {"product": product})
        registrant.updated_at = utcnow()
        registrant.save()
        audit.record(
            registrant.organization_id, "registrant.change_product", user=actor, actor=actor_label,
            target=registrant, summary=stored_text("%(old)s → %(product)s", old=old.name, product=product.name), changes=changes,
        )  # fmt: skip
        waitlist.offer_freed_seats(registrant.event)
        signals.emit(signals.registrant_changed, registrant_id=registrant.id)


# Where an order was made (Order.source), as a word stored and shown in the reader's language.
SOURCE_WORDS = {
    "web": stored_text("registration form"),
    "console": stored_text("console"),
    "import": stored_text("import"),
    "api": stored_text("API"),
    "door": stored_text("door"),
}


def add_participants(
    event: Event, product: Product, people: list[dict], *, source: str, paid: bool, send_ticket: bool,
    actor: User | None, actor_label: str | None = None,
) -> Order:  # fmt: skip
    """Operator adds (console, CSV import, door walk-in, API): one order for `people` (each a dict
    with name, email and optional answers), seats checked. Unpaid additions hold their seats until
    an operator marks them paid or cancels them."""
    _check_product(event, product)
    if not people:
        raise OrderError(_("Add at least one person."))
    for person in people:
        if problem := additions.person_problem(person):
            raise OrderError(problem)
    with write_transaction():
        try:
            capacity.reserve(event, {product.id: len(people)})
        except capacity.SoldOut as exc:
            raise OrderError(_("Not enough seats: %(left)s left.", left=exc.available)) from None
        order = Order.create(
            **additions.order_fields(
                event, product, people, code=_unique_code(), source=source, paid=paid, send_ticket=send_ticket,
                now=utcnow(),
            )
        )  # fmt: skip
        for person in people:
            item = OrderItem.create(**additions.item_fields(event, product, order.id))
            Registrant.create(**additions.registrant_fields(event, product, person, order_id=order.id, item_id=item.id))
        _record(
            order,
            "order.add",
            actor,
            stored_text(
                "Added %(count)s × %(product)s (%(source)s)",
                count=len(people),
                product=product.name,
                source=stored_word(SOURCE_WORDS, source),
            ),
            actor_label,
        )
        signals.emit(signals.registration_created, order_id=order.id)
        if paid:
            signals.emit(signals.order_paid, order_id=order.id)
    return order


def _check_product(event: Event, product: Product) -> None:
    if product.event_id != event.id or not product.admits_entry:
        raise OrderError(_("Choose a ticket type of this event."))


@dataclass
class AddedEach:
    """What `add_participants_each` did with each person, by their index in the list given."""

    order_ids: dict[int, int] = field(default_factory=dict)  # added: index -> their order's id
    no_seat: list[int] = field(default_factory=list)  # valid, but beyond the seats left
    refused: dict[int, str] = field(default_factory=dict)  # not valid: index -> why


def add_participants_each(
    event: Event, product: Product, people: list[dict], *, source: str, paid: bool, send_ticket: bool,
    actor: User | None, actor_label: str | None = None,
) -> AddedEach:  # fmt: skip
    """Like `add_participants`, but one order per person (a CSV import: each row its own order
    code), as far as seats allow: the valid people go in, in list order, until the product's or
    the event's seats run out; who is left out, and why, is in the result rather than raised.
    One seat claim and one audit entry for the whole list; every order announces itself."""
    _check_product(event, product)
    result = AddedEach()
    valid = []
    for index, person in enumerate(people):
        if problem := additions.person_problem(person):
            result.refused[index] = problem
        else:
            valid.append(index)
    if not valid:
        return result
    with write_transaction():
        fits = capacity.claim(event, product.id, len(valid))
        chosen, result.no_seat = valid[:fits], valid[fits:]
        if not chosen:
            return result
        order_ids = additions.write_orders_each(event, product, [people[i] for i in chosen], source, paid, send_ticket)
        result.order_ids = dict(zip(chosen, order_ids, strict=True))
        for order_id in order_ids:
            signals.emit(signals.registration_created, order_id=order_id)
            if paid:
                signals.emit(signals.order_paid, order_id=order_id)
        if actor is not None or actor_label:
            audit.record(
                event.organization_id, "order.add", user=actor, actor=actor_label, target=event,
                summary=stored_text("Added %(count)s × %(product)s (%(source)s), one order each", count=len(chosen), product=product.name, source=stored_word(SOURCE_WORDS, source)),
            )  # fmt: skip
    return result
