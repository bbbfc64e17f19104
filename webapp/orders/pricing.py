"""Prices and coupons, computed on the server only, in integer minor units.

Rounding rule: a percent coupon takes `unit_price * percent // 100` off each discounted unit — the
discount is rounded down to the currency's minor unit (whole rupiah for IDR, cents for USD), so
the attendee pays the rounded-up price, every discounted unit of an order gets the same discount,
and a per-ticket refund is exact. A fixed coupon takes its amount off each discounted unit, never
more than the unit's price. A total is never negative.

A coupon "use" is one discounted unit: `usage_limit` caps the units discounted across all orders,
`per_order_limit` the units in one order; the most expensive eligible units are discounted first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from webapp.catalog.models import Coupon, Product
from webapp.db import utcnow
from webapp.events.models import Event
from webapp.i18n import _


class CouponError(ValueError):
    """The code cannot be used; the message is fit to show beside the coupon field."""


@dataclass
class Line:
    product: Product
    quantity: int
    unit_price: int
    unit_discounts: list[int] = field(default_factory=list)  # one per unit

    @property
    def subtotal(self) -> int:
        return self.unit_price * self.quantity

    @property
    def discount(self) -> int:
        return sum(self.unit_discounts)

    @property
    def total(self) -> int:
        return self.subtotal - self.discount


@dataclass
class Quote:
    currency: str
    lines: list[Line]
    coupon: Coupon | None = None
    coupon_error: str | None = None

    @property
    def subtotal(self) -> int:
        return sum(line.subtotal for line in self.lines)

    @property
    def discount(self) -> int:
        return sum(line.discount for line in self.lines)

    @property
    def total(self) -> int:
        return max(self.subtotal - self.discount, 0)

    @property
    def coupon_uses(self) -> int:
        return sum(1 for line in self.lines for d in line.unit_discounts if d > 0) if self.coupon else 0

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)


def normalize_code(code: str | None) -> str:
    return (code or "").strip().upper()


def find_coupon(event: Event, code: str | None) -> Coupon:
    """The usable coupon of `event` with this code, or CouponError saying why not."""
    code = normalize_code(code)
    coupon = Coupon.get_or_none((Coupon.event == event.id) & (Coupon.code == code)) if code else None
    if coupon is None:
        raise CouponError(_("This code is not valid for this event."))
    check_coupon(coupon)
    return coupon


def check_coupon(coupon: Coupon, now=None) -> None:
    now = now or utcnow()
    if not coupon.active:
        raise CouponError(_("This code is not valid for this event."))
    if coupon.valid_from and now < coupon.valid_from:
        raise CouponError(_("This code is not valid yet."))
    if coupon.valid_until and now >= coupon.valid_until:
        raise CouponError(_("This code has expired."))
    if coupon.usage_limit is not None and coupon.times_used >= coupon.usage_limit:
        raise CouponError(_("This code has been used up."))


def unit_discount(coupon: Coupon, unit_price: int) -> int:
    if coupon.kind == "percent":
        percent = min(max(coupon.value, 0), 100)
        return unit_price * percent // 100
    return min(max(coupon.value, 0), unit_price)


def quote(event: Event, quantities: dict[Product, int], coupon_code: str | None = None) -> Quote:
    """The price of `quantities` ({product: units}) with the coupon applied when it can be.
    A code that cannot be used leaves the prices undiscounted and says why in `coupon_error`."""
    lines = [
        Line(p, n, p.price) for p, n in sorted(quantities.items(), key=lambda kv: (kv[0].position, kv[0].id)) if n > 0
    ]
    result = Quote(currency=event.currency, lines=lines)
    if not normalize_code(coupon_code):
        return result
    try:
        coupon = find_coupon(event, coupon_code)
    except CouponError as exc:
        result.coupon_error = str(exc)
        return result
    apply_coupon(result, coupon)
    return result


def apply_coupon(result: Quote, coupon: Coupon) -> None:
    eligible = [line for line in result.lines if not coupon.product_ids or line.product.id in coupon.product_ids]
    if not eligible:
        result.coupon_error = _("This code does not apply to the tickets you chose.")
        return
    budget = sum(line.quantity for line in eligible)
    if coupon.per_order_limit is not None:
        budget = min(budget, coupon.per_order_limit)
    if coupon.usage_limit is not None:
        budget = min(budget, coupon.usage_limit - coupon.times_used)
    for line in sorted(eligible, key=lambda ln: -ln.unit_price):
        units = min(line.quantity, budget)
        line.unit_discounts = [unit_discount(coupon, line.unit_price)] * units + [0] * (line.quantity - units)
        budget -= units
    result.coupon = coupon
