"""Orders and registrants, invitations and the waiting list."""

from __future__ import annotations

import peewee as pw

from webapp.accounts.models import Organization, User
from webapp.catalog.models import Coupon, ParticipantGroup, Product
from webapp.contacts.models import Contact
from webapp.db import BaseModel, JSONField, OrgScoped, utcnow
from webapp.events.models import Event

ORDER_STATUSES = ("pending", "paid", "expired", "canceled", "refunded")
APPROVAL_STATES = ("none", "pending", "approved", "declined")
WAITLIST_STATES = ("waiting", "offered", "converted", "lapsed", "removed")


class Invitation(OrgScoped):
    """Lets someone register for an invite-only event; may unlock hidden products.
    Personal (email set, sent as a link) or a shared code (max_uses > 1)."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, backref="invitations", on_delete="CASCADE")
    code = pw.CharField(max_length=32, unique=True)  # typed or carried in the personal link
    email = pw.CharField(max_length=254, default="")
    name = pw.CharField(max_length=200, default="")
    product_ids = JSONField(default=list)  # hidden products this invitation unlocks
    max_uses = pw.IntegerField(default=1)
    times_used = pw.IntegerField(default=0)  # counted in the order's transaction
    sent_at = pw.DateTimeField(null=True)
    revoked_at = pw.DateTimeField(null=True)
    # The participant group whoever registers with it joins (None: the event's default group)
    group = pw.ForeignKeyField(ParticipantGroup, null=True, backref="+", on_delete="SET NULL")
    declined_at = pw.DateTimeField(null=True)  # the invitee said no from the invitation link
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("event", "email"), False),)


class Order(OrgScoped):
    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, backref="orders", on_delete="CASCADE")
    code = pw.CharField(max_length=16, unique=True)  # short, human-readable, e.g. "K7QW9P"
    secret = pw.CharField(max_length=64, unique=True)  # the order page link
    status = pw.CharField(max_length=16, default="pending", choices=[(s, s) for s in ORDER_STATUSES])
    approval = pw.CharField(max_length=16, default="none", choices=[(s, s) for s in APPROVAL_STATES])
    buyer_name = pw.CharField(max_length=200)
    buyer_email = pw.CharField(max_length=254)
    locale = pw.CharField(max_length=8, default="en")
    answers = JSONField(default=dict)  # per-order questions: {question_id: answer}
    currency = pw.CharField(max_length=3)
    subtotal = pw.BigIntegerField(default=0)
    discount = pw.BigIntegerField(default=0)
    total = pw.BigIntegerField(default=0)
    coupon = pw.ForeignKeyField(Coupon, null=True, on_delete="SET NULL")
    coupon_uses = pw.IntegerField(
        default=0, constraints=[pw.SQL("DEFAULT 0")]
    )  # discounted units, given back on cancel/expiry
    gateway = pw.CharField(max_length=32, null=True)  # "midtrans", "stripe", "bank", "test", "door"
    source = pw.CharField(max_length=16, default="web")  # web, console, import, api, door
    # False: an operator added these people quietly; ticket emails are not sent on payment
    send_ticket = pw.BooleanField(default=True, constraints=[pw.SQL("DEFAULT TRUE")])
    checkout_token = pw.CharField(max_length=64, null=True, unique=True)  # one-time form token
    invitation = pw.ForeignKeyField(Invitation, null=True, on_delete="SET NULL")
    flag_i18n = JSONField(null=True)  # the flag as a stored message (webapp.i18n), shown translated
    flag = pw.CharField(max_length=200, null=True)  # needs an operator: amount mismatch, oversold...
    expires_at = pw.DateTimeField(null=True)  # pending orders hold seats until then
    paid_at = pw.DateTimeField(null=True)
    canceled_at = pw.DateTimeField(null=True)
    refunded_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=utcnow, index=True)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        # (event, buyer_email): the per-email registration limit looks buyers up under the lock
        indexes = (
            (("event", "status"), False),
            (("status", "expires_at"), False),
            (("event", "buyer_email"), False),
            (("event", "updated_at"), False),  # the door devices' changes since a cursor
        )


class OrderItem(OrgScoped):
    """One unit bought: a ticket (with its registrant) or an add-on (optionally for a registrant)."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    order = pw.ForeignKeyField(Order, backref="items", on_delete="CASCADE")
    product = pw.ForeignKeyField(Product, on_delete="RESTRICT")
    price = pw.BigIntegerField()  # unit price before discount
    discount = pw.BigIntegerField(default=0)
    canceled = pw.BooleanField(default=False, constraints=[pw.SQL("DEFAULT FALSE")])  # frees its seat


# An event's orders that are not paid: the few among many a seat count looks through for the
# seats given back (orders.capacity.released_orders), small enough that PostgreSQL's planner
# takes it even before it has statistics of the table.
Order.add_index(Order.index(Order.event, where=pw.SQL("\"status\" != 'paid'"), name="order_event_id_unpaid"))


class SeatTally(BaseModel):
    """How many items of a product are not canceled, kept by the database itself: triggers on
    `product` (a new product's row, at 0) and on `order_item` (an item added, deleted, canceled or
    given back, or moved to another product) keep it in the same transaction as the change, on
    SQLite and PostgreSQL alike (migration 0753). The seat count (orders.capacity) reads this one
    row where it counted every seat sold. The app never writes it; a writer that changes an
    item's seat takes the event's seat lock first (`capacity.lock_seats`), as `reserve` does, so
    the tally's row is only ever locked after the event's."""

    product = pw.ForeignKeyField(Product, primary_key=True, backref="+", on_delete="CASCADE")
    live_items = pw.IntegerField(default=0)


class Registrant(OrgScoped):
    """One admitted person: what the ticket, the check-in and the contact book are about."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, backref="registrants", on_delete="CASCADE")
    order = pw.ForeignKeyField(Order, backref="registrants", on_delete="CASCADE")
    product = pw.ForeignKeyField(Product, on_delete="RESTRICT")
    item = pw.ForeignKeyField(OrderItem, null=True, backref="registrant", on_delete="SET NULL")
    contact = pw.ForeignKeyField(Contact, null=True, backref="registrants", on_delete="SET NULL")
    # None counts as the event's default group (webapp/orders/groups.py)
    group = pw.ForeignKeyField(ParticipantGroup, null=True, backref="+", on_delete="SET NULL")
    name = pw.CharField(max_length=200)
    email = pw.CharField(max_length=254)
    answers = JSONField(default=dict)  # per-attendee questions: {question_id: answer}
    ticket_secret = pw.CharField(max_length=160, unique=True)  # 26 characters, 133 when signed
    canceled = pw.BooleanField(default=False)
    blocked = pw.BooleanField(default=False)
    checked_in_at = pw.DateTimeField(null=True)  # first entry: "attended"; None after the event: no-show
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("event", "created_at"), False),
            (("event", "updated_at"), False),  # the door devices' changes since a cursor
            (("event", "name"), False),
            # segments: a contact's registrations (attended, of an event) probed from the index alone
            (("contact", "checked_in_at", "event", "organization"), False),
            # an address's registrations, and of one event (the per-email limit: orders.per_email)
            (("email", "event"), False),
        )


class WaitingListEntry(OrgScoped):
    """Someone waiting for a sold-out product. An offer holds one seat until offer_expires_at."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, backref="waiting_list", on_delete="CASCADE")
    product = pw.ForeignKeyField(Product, on_delete="CASCADE")
    name = pw.CharField(max_length=200)
    email = pw.CharField(max_length=254)
    locale = pw.CharField(max_length=8, default="en")
    position = pw.IntegerField(default=0)  # operators reorder; lowest is offered first
    status = pw.CharField(max_length=16, default="waiting", choices=[(s, s) for s in WAITLIST_STATES])
    token = pw.CharField(max_length=64, unique=True)  # the personal offer link
    offered_at = pw.DateTimeField(null=True)
    offer_expires_at = pw.DateTimeField(null=True)
    order = pw.ForeignKeyField(Order, null=True, on_delete="SET NULL")  # the order that used the offer
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("product", "status", "position"), False), (("event", "email"), False))


class EventAssignment(OrgScoped):
    """A contact assigned to an event without being a participant (the account manager's list of
    people to invite), with who assigned it and why; one click turns it into an invitation."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, backref="assignments", on_delete="CASCADE")
    contact = pw.ForeignKeyField(Contact, backref="assignments", on_delete="CASCADE")
    assigned_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    note = pw.CharField(max_length=500, default="")
    invitation = pw.ForeignKeyField(Invitation, null=True, on_delete="SET NULL", backref="+")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("event", "contact"), True),)


def holds_valid_ticket() -> pw.Node:
    """Registrants (joined to their Order) who hold a valid ticket: not canceled, their order paid
    and not awaiting or refused approval. The one definition of "registered" in every count."""
    return (
        (Registrant.canceled == False)  # noqa: E712
        & (Order.status == "paid")
        & (Order.approval.not_in(("pending", "declined")))
    )


class TicketSigningKey(OrgScoped):
    """An event's Ed25519 key pair for signed ticket secrets: the public key (raw, base64url) goes to
    door devices; the private key is kept only sealed (webapp/sealed.py) and signs new tickets."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, unique=True, on_delete="CASCADE")
    public_key = pw.CharField(max_length=64)
    private_key = pw.TextField()  # Fernet token of the raw 32-byte seed, base64url
    created_at = pw.DateTimeField(default=utcnow)
