"""The one interface every gateway implements. A gateway module defines a `Gateway` subclass and
exposes an instance as `gateway`; webapp.payments.gateways finds it by itself.

A gateway only speaks its protocol: it creates a payment attempt on its side, verifies and reads
what it sends back, and asks it for the current status. What a report means for the order (paid,
revoked, flagged) is decided once, in webapp.payments.service, for every gateway alike.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from flask import current_app, has_app_context

if TYPE_CHECKING:
    from webapp.orders.models import Order
    from webapp.payments.models import Payment

# What a gateway can say about an attempt, in our words.
OUTCOMES = ("paid", "pending", "hold", "failed", "canceled", "refunded", "partial_refund", "ignored")


class NotificationRejected(Exception):
    """The notification is not to be trusted (bad or expired signature, malformed): answered 4xx,
    logged, and nothing changes."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


class GatewayError(Exception):
    """The gateway refused what we asked (bad key, invalid request). The message is for operators."""


@dataclass(frozen=True)
class Credentials:
    """An organization's settings for one gateway, decrypted for the time of one call."""

    org_id: int
    mode: str  # "sandbox" or "production"
    secrets: dict[str, str]

    def __repr__(self) -> str:  # never print a key
        return f"Credentials(org_id={self.org_id}, mode={self.mode!r}, secrets=[{', '.join(self.secrets)}])"


@dataclass(frozen=True)
class Urls:
    """Where the gateway sends the attendee back to and where it posts its notifications."""

    order_page: str  # the attendee's order page (it shows the status)
    return_to: str  # where the attendee comes back after paying: checks the status, then the order page
    notify: str  # our notification endpoint for this organization and gateway
    pay_page: str  # our own page for gateways that have no site of their own (bank, test)


@dataclass(frozen=True)
class Checkout:
    redirect_url: str
    external_id: str | None = None


@dataclass(frozen=True)
class Report:
    """What the gateway says about one attempt. `reference` is our Payment.reference; a report
    about a charge may only know the gateway's payment id (`external_payment_id`)."""

    outcome: str
    status: str  # the gateway's own word, e.g. "settlement" or "checkout.session.completed"
    reference: str | None = None
    amount: int | None = None  # minor units of `currency`, as we count them
    currency: str | None = None
    external_payment_id: str | None = None
    method: str = ""
    refunded_amount: int | None = None
    note: str = ""

    def __post_init__(self):
        if self.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.outcome!r}")


@dataclass(frozen=True)
class SecretField:
    name: str
    label: str
    help: str = ""
    required: bool = True
    # (value, mode) -> an error message for the form, or None when the value looks right
    check: Callable[[str, str], str | None] | None = field(default=None, compare=False)


class Gateway(abc.ABC):
    name: ClassVar[str]
    label: ClassVar[str]  # what the attendee sees at checkout
    brand: ClassVar[str]  # what operators call it: "Midtrans", "Stripe"
    position: ClassVar[int] = 50
    secret_fields: ClassVar[tuple[SecretField, ...]] = ()
    has_modes: ClassVar[bool] = True  # sandbox / production
    currencies: ClassVar[frozenset[str] | None] = None  # None: any
    receives_notifications: ClassVar[bool] = True
    # True when an attempt has no life at a gateway of its own (bank transfer, test gateway): once
    # the order is paid or ends, its open attempts follow it.
    follows_order: ClassVar[bool] = False
    # Shown beside the gateway in the console: how to set it up.
    setup_help: ClassVar[str] = ""

    def is_offered(self) -> bool:
        """Whether this installation offers the gateway at all (the test gateway is off in production)."""
        return True

    def is_ready(self, org_id: int, credentials: Credentials | None) -> bool:
        """Whether the organization has set up what the gateway needs to take a payment."""
        if credentials is None:
            return False
        return all(credentials.secrets.get(f.name) for f in self.secret_fields if f.required)

    def supports_currency(self, currency: str) -> bool:
        return self.currencies is None or currency.upper() in self.currencies

    @abc.abstractmethod
    def create(self, payment: Payment, order: Order, credentials: Credentials, urls: Urls) -> Checkout:
        """Open the attempt on the gateway's side; returns where to send the attendee."""

    def read_notification(self, body: bytes, headers: dict[str, str], credentials: Credentials) -> Report:
        """Verify a notification and say what it reports. Raises NotificationRejected."""
        raise NotificationRejected(f"{self.label} does not send notifications", status=404)

    def fetch_status(self, payment: Payment, credentials: Credentials) -> Report | None:
        """Ask the gateway for the attempt's current status; None when it has nothing to ask."""
        return None


def service_url(gateway: str, kind: str, defaults: dict[str, str]) -> str:
    """A gateway host for `kind` (e.g. "snap" or "api"), from the gateway's defaults for the mode,
    unless the app's PAYMENT_GATEWAY_URLS setting points it elsewhere (tests use a local server)."""
    overrides = current_app.config.get("PAYMENT_GATEWAY_URLS", {}) if has_app_context() else {}
    return (overrides.get(gateway, {}).get(kind) or defaults[kind]).rstrip("/")
