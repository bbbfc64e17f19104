"""Checkout: read a registration form, check it, and turn it into a pending (or paid) order.

`read_form` only checks the input (nothing is written); `place_order` takes the seats and writes
the order, its items and one registrant per admitted unit in one serialized transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import peewee as pw

from webapp import signals, work
from webapp.catalog import groups as catalog_groups
from webapp.catalog.models import Coupon, ParticipantGroup, Product
from webapp.contacts import newsletters
from webapp.db import Prepared, Slot, is_postgres, locked, utcnow, write_transaction, writer_turn
from webapp.email_address import is_valid_email
from webapp.events.models import Event
from webapp.events.service import page_events
from webapp.guards import person_name_problem
from webapp.i18n import _, ngettext
from webapp.orders import answers as answer_rules
from webapp.orders import capacity, groups, inserts, per_email, pricing
from webapp.orders.codes import new_link_secret, new_order_code
from webapp.orders.models import Invitation, Order, WaitingListEntry
from webapp.orders.signed_secrets import secret_for
from webapp.runtime import settings


class CheckoutError(Exception):
    """The order cannot be placed; `errors` maps form field names to messages ("" = whole form)."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(errors.values()))


@dataclass
class Access:
    """What unlocks restricted parts of the shop for this visitor."""

    product_keys: list[str] = field(default_factory=list)  # ?product=<access_key> links
    invitation: Invitation | None = None
    offer: WaitingListEntry | None = None
    group_key: str = ""  # a participant group's registration link (?group=<key>)
    group: ParticipantGroup | None = None  # the group the registration joins (find_access sets it)
    groups: list[ParticipantGroup] | None = None  # all the event's groups (read once, with `group`)


@dataclass
class Attendee:
    product: Product
    name: str = ""
    email: str = ""
    answers: dict = field(default_factory=dict)


@dataclass
class Submission:
    event: Event
    quantities: dict[Product, int]
    buyer_name: str
    buyer_email: str
    answers: dict
    attendees: list[Attendee]
    coupon_code: str
    gateway: str | None
    checkout_token: str
    locale: str
    access: Access
    quote: pricing.Quote
    newsletter_id: int | None = None  # the event's newsletter, when the box was ticked


def find_access(
    event: Event, *, product_keys=(), invite_code: str = "", offer_token: str = "", group_key: str = ""
) -> Access:
    access = Access(product_keys=[k for k in product_keys if k], group_key=(group_key or "").strip().lower()[:32])
    code = (invite_code or "").strip().upper()
    if code:
        access.invitation = Invitation.get_or_none(
            (Invitation.event == event.id) & (Invitation.code == code) & Invitation.revoked_at.is_null()
        )
    if offer_token:
        entry = WaitingListEntry.get_or_none(
            (WaitingListEntry.token == offer_token) & (WaitingListEntry.event == event.id)
        )
        if entry and entry.status == "offered" and entry.offer_expires_at > utcnow():
            access.offer = entry
    _find_group(event, access)
    return access


def _find_group(event: Event, access: Access) -> None:
    """The event's groups (as its page version has them) and, among them, the one the
    registration joins."""
    access.groups = page_events().kept(event, "groups", lambda: catalog_groups.groups_of(event))
    access.group = groups.group_for_registration(event, access.invitation, access.group_key, among=access.groups)


def registration_closed_reason(event: Event, now: dt.datetime | None = None) -> str | None:
    now = now or utcnow()
    if event.status != "published":
        return _("Registration is closed.") if event.status != "draft" else _("This event is not published yet.")
    if event.registration_opens_at and now < event.registration_opens_at:
        return _("Registration has not opened yet.")
    if event.registration_closes_at and now >= event.registration_closes_at:
        return _("Registration has closed.")
    if now >= event.ends_at:
        return _("This event is over.")
    return None


def product_on_sale(product: Product, now: dt.datetime) -> bool:
    return (
        product.active
        and (product.sale_starts_at is None or now >= product.sale_starts_at)
        and (product.sale_ends_at is None or now < product.sale_ends_at)
    )


ACTIVE_PRODUCTS_OF_EVENT = Prepared(
    lambda: (
        Product.select()
        .where((Product.event == Slot("event")) & (Product.active == True))  # noqa: E712
        .order_by(Product.position, Product.id)
    )
)


def visible_products(event: Event, access: Access, products: list[Product] | None = None) -> list[Product]:
    """The products this visitor may choose, in display order: active ones, hidden ones only when
    unlocked, and of those only the ones the visitor's participant group may buy. `products`: all
    of the event's products, when the caller has them already."""
    unlocked = set(access.invitation.product_ids if access.invitation else [])
    if access.offer:
        unlocked.add(access.offer.product_id)
    if products is None:
        rows = ACTIVE_PRODUCTS_OF_EVENT.rows(event=event.id)
    else:
        rows = sorted((p for p in products if p.active), key=lambda p: (p.position, p.id))
    rows = [
        p for p in rows if not p.hidden or p.id in unlocked or (p.access_key and p.access_key in access.product_keys)
    ]
    group = access.group
    if group is None:
        return rows
    all_groups = access.groups if access.groups is not None else catalog_groups.groups_of(event)
    if not any(g.product_ids for g in all_groups):
        return rows
    return [p for p in rows if catalog_groups.may_buy(group, p.id, all_groups)]


def invitation_problem(event: Event, access: Access) -> str | None:
    group = access.group
    if group is not None and group.registration == "invited" and not access.offer:
        invitation = access.invitation
        if invitation is None or invitation.group_id != group.id:
            return _("Registration for this group is by invitation only. Enter the code from your invitation.")
        if invitation.times_used >= invitation.max_uses:
            return _("This invitation has already been used.")
    if not event.invite_only or access.offer:
        return None
    if access.invitation is None:
        return _("Registration for this event is by invitation only. Enter the code from your invitation.")
    if access.invitation.times_used >= access.invitation.max_uses:
        return _("This invitation has already been used.")
    return None


def _int(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) <= 4 else (0 if not text else None)


def read_quantities(form, products: list[Product]) -> tuple[dict[Product, int], dict[str, str]]:
    quantities, errors = {}, {}
    for product in products:
        name = f"qty-{product.id}"
        n = _int(form.get(name))
        if n is None:
            errors[name] = _("Enter a whole number.")
            continue
        quantities[product] = n
    return quantities, errors


def check_quantities(event: Event, quantities: dict[Product, int], now: dt.datetime) -> dict[str, str]:
    errors = {}
    for product, n in quantities.items():
        name = f"qty-{product.id}"
        if n and not product_on_sale(product, now):
            errors[name] = _("This ticket is not on sale now.")
        elif n and n < product.min_per_order:
            errors[name] = _("Choose at least %(n)d, or none.", n=product.min_per_order)
        elif product.max_per_order is not None and n > product.max_per_order:
            errors[name] = _("At most %(n)d per order.", n=product.max_per_order)
    admitted = sum(n for p, n in quantities.items() if p.admits_entry)
    if not errors and admitted == 0:
        errors["tickets"] = _("Choose at least one ticket.")
    elif admitted > event.max_tickets_per_order:
        errors["tickets"] = _("At most %(n)d tickets per order.", n=event.max_tickets_per_order)
    elif event.max_registrations_per_email is not None and admitted > event.max_registrations_per_email:
        # Every ticket of the order counts against the buyer's address (see orders.per_email).
        errors["tickets"] = ngettext(
            "This event allows %(num)d registration per email address.",
            "This event allows %(num)d registrations per email address.",
            event.max_registrations_per_email,
        )
    return errors


def _seats_problem(seats: capacity.Seats, quantities: dict[Product, int]) -> dict[str, str]:
    """Sold out already, as committed before the write lock: refused without waiting for it (a
    sell-out's latecomers do not queue behind the buyers). `place_order` checks again under it."""
    try:
        seats.check({p.id: n for p, n in quantities.items() if n})
    except capacity.SoldOut as exc:
        return _sold_out_errors(exc)
    return {}


def admitted_units(quantities: dict[Product, int]) -> list[Product]:
    """One entry per admitted unit, in display order: the attendees the form asks about."""
    units = []
    for product in sorted(quantities, key=lambda p: (p.position, p.id)):
        if product.admits_entry:
            units += [product] * quantities[product]
    return units


def _choose_tickets(
    event: Event, form, access: Access, seats: capacity.Seats, now: dt.datetime
) -> tuple[dict[Product, int], dict[str, str]]:
    """The quantities chosen among the products this visitor may buy, and what is wrong with
    them: a quantity that is not a number, a product off sale, more than the seats left."""
    quantities, errors = read_quantities(form, visible_products(event, access, seats.products))
    return quantities, errors or check_quantities(event, quantities, now) or _seats_problem(seats, quantities)


def read_form(
    event: Event, form, *, access: Access, locale: str, gateways: list[str] | Callable[[], list[str]]
) -> Submission:
    """The checked submission, or CheckoutError with a message per field. Writes nothing.
    `gateways`: the names offered at checkout (or a function giving them, asked only when a
    payment is due)."""
    now = utcnow()
    errors: dict[str, str] = {}
    closed = registration_closed_reason(event, now) or invitation_problem(event, access)
    if closed:
        raise CheckoutError({"": closed})
    if access.group is None:
        _find_group(event, access)
    offer_id = access.offer.id if access.offer else None
    seats = capacity.seats(event, exclude_offer_id=offer_id, recent=True)
    quantities, ticket_errors = _choose_tickets(event, form, access, seats, now)
    if ticket_errors and seats.recent:  # the last count under the lock refused: ask the database
        seats = capacity.seats(event, exclude_offer_id=offer_id)
        quantities, ticket_errors = _choose_tickets(event, form, access, seats, now)
    errors.update(ticket_errors)

    buyer_name = (form.get("buyer_name") or "").strip()
    buyer_email = (form.get("buyer_email") or "").strip().lower()
    problem = person_name_problem(buyer_name) if buyer_name else _("Enter your name.")
    if problem:
        errors["buyer_name"] = problem
    if not is_valid_email(buyer_email):
        errors["buyer_email"] = _("Enter an email address such as ana@example.org.")

    per_order, per_attendee = page_events().kept(event, "questions", lambda: answer_rules.questions_for(event))
    order_answers, answer_errors = answer_rules.read_answers(per_order, form, "", locale)
    errors.update(answer_errors)
    attendees = []
    for i, product in enumerate(admitted_units(quantities)):
        prefix = f"a{i}-"
        name = (form.get(prefix + "name") or "").strip() or (buyer_name if i == 0 else "")
        email = (form.get(prefix + "email") or "").strip().lower()
        problem = person_name_problem(name) if name else _("Enter this attendee's name.")
        if problem:
            errors[prefix + "name"] = problem
        if email and not is_valid_email(email):
            errors[prefix + "email"] = _("Enter an email address such as ana@example.org.")
        values, answer_errors = answer_rules.read_answers(per_attendee, form, prefix, locale)
        errors.update(answer_errors)
        attendees.append(Attendee(product, name, email or buyer_email, values))

    coupon_code = pricing.normalize_code(form.get("coupon"))
    quote = pricing.quote(event, quantities, coupon_code)
    if quote.coupon_error:
        errors["coupon"] = quote.coupon_error
    gateway = (form.get("gateway") or "").strip() or None
    if (
        quote.total > 0
        and not awaits_acceptance(event, access.group)
        and gateway not in (gateways() if callable(gateways) else gateways)
    ):
        errors["gateway"] = _("Choose how you want to pay.")
    token = (form.get("checkout_token") or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", token):
        errors[""] = _("The form expired. Reload the page and try again.")
    if errors:
        raise CheckoutError(errors)
    newsletter_id = event.newsletter_id if form.get("newsletter") == "y" else None
    return Submission(
        event, quantities, buyer_name, buyer_email, order_answers, attendees, coupon_code,
        gateway if quote.total > 0 else None, token, locale, access, quote, newsletter_id,
    )  # fmt: skip


def awaits_acceptance(event: Event, group: ParticipantGroup | None) -> bool:
    """Whether every registration waits for the operator (no payment is taken before): the
    event's setting, or a group whose registrations all await acceptance."""
    return event.requires_approval or (group is not None and group.registration == "acceptance")


def existing_order(token: str) -> Order | None:
    """The order a checkout token already made (only what a redirect to it needs)."""
    if not token:
        return None
    return Order.select(Order.id, Order.secret, Order.event).where(Order.checkout_token == token).first()


class _AlreadyPlaced(Exception):
    """The checkout token made an order meanwhile: undo what this transaction did."""

    def __init__(self, order: Order):
        self.order = order


def place_order(sub: Submission) -> tuple[Order, bool]:
    """Write the order; (order, created). A token that made an order already returns that order
    unchanged. Raises CheckoutError when the seats, the coupon or the invitation ran out
    meanwhile (for a form sent twice, the caller looks the token up: `existing_order`)."""
    event = sub.event
    wanted = {p.id: n for p, n in sub.quantities.items() if n}
    group = sub.access.group  # read_form found it
    if _may_write_first(sub):
        placed = _place_written_first(sub)
        if placed is not None:
            return placed
    try:
        with writer_turn(), write_transaction():  # SQLite: queue for the write lock, no busy polling
            try:  # the group's seats read with the event's, under the lock, in one statement
                seats, counted = groups.reserve_seats(
                    event, wanted, group, offer_id=sub.access.offer.id if sub.access.offer else None
                )
            except capacity.SoldOut as exc:
                raise CheckoutError(_sold_out_errors(exc)) from None
            _check_per_email(sub, seats)
            placement = _reserve_group(sub, group, counted)
            quote = _requote(sub)
            invitation = _claim_invitation(sub)
            order = _write(sub, quote, invitation, placement)
            if sub.access.offer:
                WaitingListEntry.update(status="converted", order=order).where(
                    WaitingListEntry.id == sub.access.offer.id
                ).execute()
            return order, True
    except _AlreadyPlaced as placed:  # the same form sent twice at the same moment
        return placed.order, False


def _may_write_first(sub: Submission) -> bool:
    """Whether this registration's rows may be written before its checks
    (`_place_written_first`, PostgreSQL): what it takes under the event's lock is the seats, a
    coupon's uses and its addresses' share of a per-email limit, all counted after the write. An
    invitation or a waiting-list offer of limited uses, and a participant group whose seats or
    acceptances are counted, take the path that checks before writing."""
    group = sub.access.group
    return (
        is_postgres()
        and (not sub.coupon_code or sub.quote.coupon is not None)
        and sub.access.invitation is None
        and sub.access.offer is None
        and group.capacity is None
        and group.registration != "accept_limit"
    )


class _Unwritten(Exception):
    """The rows written first cannot stand as they are: the locked path decides (`place_order`)."""


def _placed_column() -> pw.Node:
    """The id of the order that the same round trip wrote just before, found by its secret (None:
    it was not written)."""
    return Order.select(Order.id).where(Order.secret == Slot("secret")).alias("placed")


# What a coupon's rule reads (`pricing.check_coupon`, `pricing.apply_coupon`): read with the
# seats, after the registration counted its uses, each as a column of every product's row.
COUPON_RULE_FIELDS = (
    Coupon.active, Coupon.valid_from, Coupon.valid_until, Coupon.usage_limit, Coupon.times_used,
    Coupon.per_order_limit, Coupon.product_ids, Coupon.kind, Coupon.value,
)  # fmt: skip


def _coupon_columns() -> list[pw.Node]:
    return [
        Coupon.select(column).where(Coupon.id == Slot("coupon")).alias(f"coupon_{column.name}")
        for column in COUPON_RULE_FIELDS
    ]


def _counted_after_writing(with_coupon: bool, with_addresses: bool) -> Prepared:
    """The event's seats under the lock (`capacity.seats_query`) with the order written just
    before; with the coupon that order used, as it is after its uses were counted; with the
    registrations held by its addresses, its own among them (`per_email.held_column`)."""

    def build() -> pw.Select:
        columns = [_placed_column()]
        if with_coupon:
            columns += _coupon_columns()
        if with_addresses:
            columns.append(per_email.held_column())
        return locked(capacity.seats_query(*columns))

    return Prepared(build)


COUNTED_AFTER_WRITING = {
    (coupon, addresses): _counted_after_writing(coupon, addresses)
    for coupon in (False, True)
    for addresses in (False, True)
}
# A registration's uses of its coupon, counted (the coupon's row stays locked until COMMIT).
COUPON_USES = Prepared(
    lambda: Coupon.update(times_used=Coupon.times_used + Slot("uses")).where(Coupon.id == Slot("coupon"))
)


def _place_written_first(sub: Submission) -> tuple[Order, bool] | None:
    """PostgreSQL: the order and its rows written under the event's lock (a coupon's uses
    counted first) and the seats counted after them (with the registrations its addresses hold,
    under a per-email limit), in one round trip
    (`capacity.write_and_count`), then the checks that the path checking first makes, on what
    the lock found, and COMMIT: one answer and one turn of Python while every other buyer of the
    event waits, where checking first takes two. A refused order rolls back with its rows.
    None when the rows could not be written as they are (the checkout token, the order's code
    or secret taken already; the coupon gone), a per-email limit was set after the form was
    read (its addresses were not counted), or the coupon no longer gives the price the form
    showed (used up, edited, switched off): nothing is left written, and the path that checks
    first decides and says why."""
    event, group, quote = sub.event, sub.access.group, sub.quote
    new = _registrations_by_address(sub)
    adding = per_email.adding_of(new) if event.max_registrations_per_email is not None else None
    try:
        with write_transaction():
            values, units, announced = _order_rows(sub, quote, None, awaits_acceptance(event, group))
            writes = (_order_with_rows(values, units, announced, group.id),)
            slots = {"secret": values["secret"]}
            if quote.coupon is not None:
                slots.update(coupon=quote.coupon.id, uses=quote.coupon_uses)
                writes = ((COUPON_USES, slots), *writes)
            if adding is not None:
                slots.update(addresses=sorted(adding))
            count = COUNTED_AFTER_WRITING[quote.coupon is not None, adding is not None]
            try:
                counted = capacity.write_and_count(event, writes, (count, slots))
            except pw.IntegrityError:  # a row it points at went meanwhile (an unused coupon deleted)
                raise _Unwritten from None
            first = counted.products[0] if counted.products else None
            if first is None or first.placed is None:
                raise _Unwritten
            if quote.coupon is not None and not _same_price_with(sub, _coupon_as_counted(quote, first)):
                raise _Unwritten
            try:  # on the seats its items took
                capacity.check_written(event, counted, Counter(unit.product for unit in units))
            except capacity.SoldOut as exc:
                raise CheckoutError(_sold_out_errors(exc)) from None
            if counted.per_email_limit is not None:
                if adding is None:  # a limit set after the form was read: its addresses were not counted
                    raise _Unwritten
                # the registrations each address held before this order's (which the count found too)
                before = per_email.count_held(first.held_by_address or (), adding) - adding
                with _refused_beside_the_address(sub):
                    per_email.decide(new, counted.per_email_limit, adding, before)
            work.recorded_by_statement(work.current_priority())
            return _placed(sub, first.placed, values), True
    except _Unwritten:
        return None


def _coupon_as_counted(quote: pricing.Quote, row) -> Coupon | None:
    """The quote's coupon as the seat count read it (`COUPON_RULE_FIELDS`), with its uses as they
    were before this registration's; None when it is gone."""
    read = {column.name: column.python_value(getattr(row, f"coupon_{column.name}")) for column in COUPON_RULE_FIELDS}
    if read["times_used"] is None:
        return None
    coupon = Coupon(id=quote.coupon.id, event=quote.coupon.event_id, code=quote.coupon.code, **read)
    coupon.times_used -= quote.coupon_uses
    return coupon


def _same_price_with(sub: Submission, coupon: Coupon | None) -> bool:
    """Whether `coupon`, as it is now, still gives the form's price, unit by unit."""
    if coupon is None:
        return False
    try:
        quote = _quote_with(sub, coupon)
    except pricing.CouponError:
        return False
    return _unit_prices(quote) == _unit_prices(sub.quote)


def _unit_prices(quote: pricing.Quote) -> list:
    return [(line.product.id, line.unit_price, line.quantity, line.unit_discounts) for line in quote.lines]


def _reserve_group(sub: Submission, group: ParticipantGroup, counted: groups.Counted) -> tuple[ParticipantGroup, bool]:
    """The participant group's seats, as counted under the seat lock (`groups.reserve_seats`),
    and whether the registration is accepted at once: (group, awaits acceptance)."""
    people = len(sub.attendees)
    try:
        groups.reserve(group, people, taken=counted.taken)
    except groups.GroupFull as exc:
        message = _("Only %(n)d left.", n=exc.available) if exc.available else _("This group is full.")
        raise CheckoutError({"tickets": message}) from None
    accepted = groups.accepted_at_once(group, people, accepted=counted.accepted)
    return group, sub.event.requires_approval or not accepted


def _sold_out_errors(exc: capacity.SoldOut) -> dict[str, str]:
    """The form's error for seats that ran out: beside the ticket type's quantity, or beside the
    tickets when the event as a whole is full."""
    field = f"qty-{exc.product_id}" if exc.product_id is not None else "tickets"
    if exc.available == 0:
        return {field: _("Sold out.") if exc.product_id is not None else _("The event is full.")}
    return {field: _("Only %(n)d left.", n=exc.available)}


def _check_per_email(sub: Submission, seats: capacity.Seats | None) -> None:
    """The event's limit of registrations per email address, under the event row's lock (read
    with the seats when they were)."""
    new = _registrations_by_address(sub)
    with _refused_beside_the_address(sub):
        if seats is None:
            per_email.check(sub.event.id, new)
        else:
            per_email.check_limit(sub.event.id, new, seats.per_email_limit)


@contextmanager
def _refused_beside_the_address(sub: Submission) -> Iterator[None]:
    """A per-email limit reached inside the block refuses the form beside the address's field."""
    try:
        yield
    except per_email.LimitReached as exc:
        raise CheckoutError({_email_field(sub, exc.address): per_email_message(exc)}) from None


def _registrations_by_address(sub: Submission) -> list[tuple[str, str]]:
    """The registrations this form adds, as the per-email limit counts them: (attendee's
    address, buyer's address) each."""
    return [(a.email, sub.buyer_email) for a in sub.attendees]


def _email_field(sub: Submission, address: str) -> str:
    """The form field where the attendee typed `address`: the buyer's, else an attendee's."""
    if address == sub.buyer_email:
        return "buyer_email"
    index = next((i for i, a in enumerate(sub.attendees) if a.email == address), 0)
    return f"a{index}-email"


def per_email_message(exc: per_email.LimitReached) -> str:
    if exc.held == 0:
        return ngettext(
            "This event allows %(num)d registration per email address.",
            "This event allows %(num)d registrations per email address.",
            exc.limit,
        )
    return ngettext(
        "This email address already has %(num)d registration for this event, which allows %(limit)d per address.",
        "This email address already has %(num)d registrations for this event, which allows %(limit)d per address.",
        exc.held,
        limit=exc.limit,
    )


def _requote(sub: Submission) -> pricing.Quote:
    """The price again, under the lock: the coupon's uses are counted against its limit here."""
    if not sub.coupon_code:
        return pricing.quote(sub.event, sub.quantities)
    coupon = locked(Coupon.select().where((Coupon.event == sub.event.id) & (Coupon.code == sub.coupon_code))).first()
    if coupon is None:
        raise CheckoutError({"coupon": _("This code is not valid for this event.")})
    try:
        quote = _quote_with(sub, coupon)
    except pricing.CouponError as exc:
        raise CheckoutError({"coupon": str(exc)}) from None
    if quote.total != sub.quote.total:
        if quote.coupon_uses < sub.quote.coupon_uses:
            changed = _("The price changed: the code has fewer uses left. Check the total and submit again.")
        else:
            changed = _("The price changed: the code's discount was changed. Check the total and submit again.")
        raise CheckoutError({"coupon": changed})
    Coupon.update(times_used=Coupon.times_used + quote.coupon_uses).where(Coupon.id == coupon.id).execute()
    return quote


def _quote_with(sub: Submission, coupon: Coupon) -> pricing.Quote:
    """The form's tickets priced with `coupon` as it is now, under the lock (both paths: the one
    checking first, `_requote`, and the one writing first, `_same_price_with`). CouponError
    when the coupon cannot be used any more, with the reason."""
    pricing.check_coupon(coupon)
    quote = pricing.quote(sub.event, sub.quantities)
    pricing.apply_coupon(quote, coupon)
    if quote.coupon_error:
        raise pricing.CouponError(quote.coupon_error)
    return quote


def _claim_invitation(sub: Submission) -> Invitation | None:
    invitation = sub.access.invitation
    if invitation is None:
        return None
    claimed = (
        Invitation.update(times_used=Invitation.times_used + 1)
        .where(
            (Invitation.id == invitation.id)
            & (Invitation.times_used < Invitation.max_uses)
            & Invitation.revoked_at.is_null()
        )
        .execute()
    )
    if not claimed and sub.event.invite_only:
        raise CheckoutError({"": _("This invitation has already been used.")})
    return invitation if claimed else None


def _order_rows(
    sub: Submission, quote: pricing.Quote, invitation: Invitation | None, awaits: bool
) -> tuple[dict, list[inserts.Unit], list]:
    """The new order's values, its units (items, with the people they admit) and the signals
    announcing it; `awaits`: the registration awaits the operator's acceptance."""
    event, now = sub.event, utcnow()
    status = "paid" if quote.total == 0 and not awaits else "pending"
    hold = None if awaits else now + dt.timedelta(minutes=settings().order_hold_minutes)
    values = dict(
        organization=event.organization_id, event=event.id, code=new_order_code(), secret=new_link_secret(),
        status=status, approval="pending" if awaits else "none", buyer_name=sub.buyer_name,
        buyer_email=sub.buyer_email, locale=sub.locale, answers=sub.answers, currency=event.currency,
        subtotal=quote.subtotal, discount=quote.discount, total=quote.total,
        coupon=quote.coupon.id if quote.coupon else None, coupon_uses=quote.coupon_uses,
        gateway=sub.gateway if status == "pending" else None, checkout_token=sub.checkout_token,
        invitation=invitation.id if invitation else None, expires_at=hold if status == "pending" else None,
        paid_at=now if status == "paid" else None, created_at=now, updated_at=now,
    )  # fmt: skip
    announced = [signals.registration_created] + ([signals.order_paid] if status == "paid" else [])
    return values, _units(sub, quote, now), announced


def _write(
    sub: Submission, quote: pricing.Quote, invitation: Invitation | None, placement: tuple[ParticipantGroup, bool]
) -> Order:
    event = sub.event
    group, awaits = placement
    values, units, announced = _order_rows(sub, quote, invitation, awaits)
    if is_postgres():  # one statement writes it all
        order_id = _insert_order(
            sub, values, lambda v: inserts.insert_order_with_rows(_order_with_rows(v, units, announced, group.id))
        )
        work.recorded_by_statement(work.current_priority())
    else:
        order_id = _insert_order(sub, values, inserts.insert_order)
        now = values["created_at"]
        for unit in units:
            item_id = inserts.insert_item(
                dict(organization=event.organization_id, order=order_id, product=unit.product, price=unit.price,
                     discount=unit.discount)
            )  # fmt: skip
            if unit.person is not None:
                inserts.insert_registrant(
                    dict(organization=event.organization_id, event=event.id, order=order_id, product=unit.product,
                         item=item_id, group=group.id, created_at=now, updated_at=now, **unit.person)
                )  # fmt: skip
        for signal in announced:
            signals.emit(signal, order_id=order_id)
    return _placed(sub, order_id, values)


def _placed(sub: Submission, order_id: int, values: dict) -> Order:
    """The order as written, and the newsletter signup the form asked for (its subscription and
    confirmation email, after the commit)."""
    if sub.newsletter_id is not None:
        newsletters.record_signup(sub.newsletter_id, sub.buyer_email, sub.buyer_name, sub.locale, source="registration")
    order = Order(id=order_id, **values)
    order.event = sub.event
    return order


def _units(sub: Submission, quote: pricing.Quote, now: dt.datetime) -> list[inserts.Unit]:
    """The order's items in order, each unit that admits entry with its attendee."""
    attendees = iter(sub.attendees)
    units = []
    for line in quote.lines:
        for discount in line.unit_discounts or [0] * line.quantity:
            unit = inserts.Unit(line.product.id, line.unit_price, discount)
            if line.product.admits_entry:
                person = next(attendees)
                unit.person = dict(
                    name=person.name,
                    email=person.email,
                    answers=person.answers,
                    ticket_secret=secret_for(sub.event, line.product.id),
                )
            units.append(unit)
    return units


def _order_with_rows(values: dict, units: list[inserts.Unit], announced: list, group_id: int) -> tuple[Prepared, dict]:
    """PostgreSQL: the statement writing the order, its rows and its signals' work items, with
    its values (`inserts.order_with_rows`)."""
    return inserts.order_with_rows(
        values, units, [signals.stored_payload_around_id(s, "order_id") for s in announced], group_id=group_id,
        signal_kind=signals.SIGNAL, priority=work.current_priority(),
    )  # fmt: skip


def _insert_order(sub: Submission, values: dict, insert: Callable[[dict], int | None]) -> int:
    """Insert the order row (with `insert`); a code that is taken already is drawn again (no
    lookup first: a clash is rare), a checkout token that is taken already ends the checkout
    with its order."""
    for _attempt in range(20):
        order_id = insert(values)
        if order_id is not None:
            return order_id
        placed = existing_order(sub.checkout_token)
        if placed is not None:
            raise _AlreadyPlaced(placed)
        values.update(code=new_order_code(), secret=new_link_secret())
    raise RuntimeError("could not find a free order code")


def _unique_code() -> str:
    for _attempt in range(20):
        code = new_order_code()
        if not Order.select().where(Order.code == code).exists():
            return code
    raise RuntimeError("could not find a free order code")
