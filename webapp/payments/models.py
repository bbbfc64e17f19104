"""Payments: one row per attempt to pay an order, the log of every gateway notification, and each
organization's gateway and bank settings (secrets encrypted at rest)."""

from __future__ import annotations

import peewee as pw

from webapp.accounts.models import Organization, User
from webapp.db import JSONField, OrgScoped, utcnow
from webapp.events.models import Event
from webapp.orders.models import Order

PAYMENT_STATES = ("created", "pending", "paid", "failed", "refunded", "canceled")
OPEN_STATES = ("created", "pending")
MODES = ("sandbox", "production")


class Payment(OrgScoped):
    """One attempt to pay an order through one gateway. `reference` is the id the gateway knows the
    attempt by (Midtrans order_id, Stripe client_reference_id): the order code plus a suffix, so a
    second attempt never collides with the first."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    order = pw.ForeignKeyField(Order, backref="payments", on_delete="CASCADE")
    gateway = pw.CharField(max_length=32)
    reference = pw.CharField(max_length=50, unique=True)
    amount = pw.BigIntegerField()  # minor units of `currency`, what we asked for
    currency = pw.CharField(max_length=3)
    state = pw.CharField(max_length=16, default="created", choices=[(s, s) for s in PAYMENT_STATES])
    mode = pw.CharField(max_length=16, default="sandbox")
    external_id = pw.CharField(max_length=255, null=True, index=True)  # Snap token / Checkout Session id
    external_payment_id = pw.CharField(max_length=255, null=True, index=True)  # transaction_id / PaymentIntent
    redirect_url = pw.CharField(max_length=1000, null=True)
    gateway_status = pw.CharField(max_length=64, default="")  # the gateway's last word, as it said it
    method = pw.CharField(max_length=64, default="")  # e.g. "bank_transfer", "card", "qris"
    received_amount = pw.BigIntegerField(null=True)  # what the gateway says was paid
    refunded_amount = pw.BigIntegerField(default=0)
    flag = pw.CharField(max_length=300, null=True)  # needs an operator: amount mismatch, fraud hold...
    flag_i18n = JSONField(null=True)  # the flag as a stored message (webapp.i18n), shown translated
    error = pw.CharField(max_length=500, default="")  # why creating the attempt failed
    paid_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=utcnow, index=True)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("order", "created_at"), False), (("state", "gateway", "created_at"), False))

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def change(self, **values) -> None:
        """Write `values` (and a new updated_at) to this row at once, and onto this object."""
        values["updated_at"] = utcnow()
        Payment.update(**values).where(Payment.id == self.id).execute()
        for name, value in values.items():
            setattr(self, name, value)


class PaymentNotification(OrgScoped):
    """Every notification a gateway sent us, verified or not: the log operators read when a payment
    did not arrive as expected."""

    organization = pw.ForeignKeyField(Organization, null=True, on_delete="CASCADE")
    payment = pw.ForeignKeyField(Payment, null=True, backref="notifications", on_delete="SET NULL")
    gateway = pw.CharField(max_length=32)
    received_at = pw.DateTimeField(default=utcnow, index=True)
    remote_addr = pw.CharField(max_length=64, default="")
    headers = JSONField(default=dict)  # only the ones that matter (content type, signature, user agent)
    body = pw.TextField(default="")
    verified = pw.BooleanField(default=False)
    gateway_status = pw.CharField(max_length=64, default="")
    outcome = pw.CharField(max_length=32, default="received")  # paid, duplicate, rejected, error, ...
    error = pw.CharField(max_length=500, default="")
    http_status = pw.IntegerField(default=200)

    class Meta:
        indexes = ((("organization", "received_at"), False),)


class GatewaySettings(OrgScoped):
    """A gateway as one organization set it up. `secrets` holds the Fernet token of a JSON object
    (server key, secret key, webhook secrets): never stored or shown in clear."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    gateway = pw.CharField(max_length=32)
    enabled = pw.BooleanField(default=False)
    mode = pw.CharField(max_length=16, default="sandbox", choices=[(m, m) for m in MODES])
    secrets = pw.TextField(default="")
    masked = JSONField(default=dict)  # {"server_key": "SB-Mid-server-••••1a2b"}: what the console shows
    updated_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("organization", "gateway"), True),)


class BankSettings(OrgScoped):
    """Where the organization is paid: shown in full to an attendee paying by transfer, masked in
    the console. The account number is encrypted at rest like the gateway keys."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE", unique=True)
    account_holder = pw.CharField(max_length=120)
    bank_name = pw.CharField(max_length=120)
    account_number = pw.TextField()  # Fernet token
    account_number_masked = pw.CharField(max_length=64)
    instructions = pw.TextField(default="")  # e.g. "Transfers are checked every weekday at 10:00"
    updated_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    updated_at = pw.DateTimeField(default=utcnow)


class EventPaymentSettings(OrgScoped):
    """An event's own payment set-up, over the organization's: `gateways` (None: every method the
    organization offers; a list: only these of them) and a bank account of its own for transfers
    (blank holder: the organization's account)."""

    organization = pw.ForeignKeyField(Organization, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, on_delete="CASCADE", unique=True)
    gateways = JSONField(null=True)
    account_holder = pw.CharField(max_length=120, default="")
    bank_name = pw.CharField(max_length=120, default="")
    account_number = pw.TextField(default="")  # Fernet token
    account_number_masked = pw.CharField(max_length=64, default="")
    instructions = pw.TextField(default="")
    updated_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    updated_at = pw.DateTimeField(default=utcnow)

    @property
    def has_bank(self) -> bool:
        return bool(self.account_holder and self.account_number)
