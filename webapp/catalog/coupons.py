"""Coupons: set-up rules and lookup. (How a coupon changes a price is the orders' pricing.)"""

from __future__ import annotations

import re

from webapp import timeutil
from webapp.accounts import audit
from webapp.accounts.models import User
from webapp.catalog.models import Coupon, Product
from webapp.db import db
from webapp.events.models import Event
from webapp.events.service import FieldError
from webapp.i18n import _, verbatim

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,63}$")


def normalize_code(code: str) -> str:
    return (code or "").strip().upper()


def find_coupon(event: Event, code: str) -> Coupon | None:
    """The event's coupon with this code, whatever its case (active or not: the caller decides)."""
    code = normalize_code(code)
    if not code:
        return None
    return Coupon.get_or_none((Coupon.event == event.id) & (Coupon.code == code))


def _values(event: Event, data: dict, coupon_id: int | None) -> dict:
    code = normalize_code(data["code"])
    if not CODE_RE.match(code):
        raise FieldError("code", _("Use 3 to 64 letters, digits, dashes or underscores."))
    taken = Coupon.select().where((Coupon.event == event.id) & (Coupon.code == code))
    if coupon_id:
        taken = taken.where(Coupon.id != coupon_id)
    if taken.exists():
        raise FieldError("code", _("This event already has a coupon with this code."))
    kind, value = data["kind"], int(data.get("value") or 0)
    if kind not in ("percent", "fixed"):
        raise FieldError("kind", _("Choose percent or fixed amount."))
    if kind == "percent" and not 1 <= value <= 100:
        raise FieldError("value", _("A percentage is between 1 and 100."))
    if kind == "fixed" and value < 1:
        raise FieldError("value", _("Enter an amount above zero."))
    product_ids = sorted({int(p) for p in data.get("product_ids") or []})
    if product_ids:
        own = {
            p.id for p in Product.select(Product.id).where((Product.event == event.id) & Product.id.in_(product_ids))
        }
        if own != set(product_ids):
            raise FieldError("product_ids", _("Choose products of this event."))
    tz = event.timezone
    valid_from = timeutil.to_utc(data["valid_from"], tz) if data.get("valid_from") else None
    valid_until = timeutil.to_utc(data["valid_until"], tz) if data.get("valid_until") else None
    if valid_from and valid_until and valid_until <= valid_from:
        raise FieldError("valid_until", _("The end of validity must be after its start."))
    for key in ("usage_limit", "per_order_limit"):
        if data.get(key) is not None and data[key] < 1:
            raise FieldError(key, _("Enter at least 1, or leave it blank for no limit."))
    return {
        "code": code,
        "kind": kind,
        "value": value,
        "product_ids": product_ids,
        "usage_limit": data.get("usage_limit"),
        "per_order_limit": data.get("per_order_limit"),
        "valid_from": valid_from,
        "valid_until": valid_until,
        "active": bool(data.get("active", True)),
    }


def create_coupon(event: Event, data: dict, *, actor: User | None, actor_label: str | None = None) -> Coupon:
    """`data`: code, kind ("percent"/"fixed"), value (percent 1-100 or minor units), product_ids
    (empty: all products), usage_limit, per_order_limit, valid_from / valid_until (wall-clock in
    the event's timezone or None), active. `actor_label`: an actor who is not a user (an API key)."""
    values = _values(event, data, None)
    with db.atomic():
        coupon = Coupon.create(organization=event.organization_id, event=event.id, **values)
        audit.record(
            event.organization_id,
            "coupon.create",
            user=actor,
            actor=actor_label,
            target=coupon,
            summary=verbatim(coupon.code),
        )
    return coupon


def update_coupon(coupon: Coupon, data: dict, *, actor: User | None, actor_label: str | None = None) -> dict:
    event = Event.get_by_id(coupon.event_id)
    values = _values(event, data, coupon.id)
    with db.atomic():
        changes = audit.diff(coupon, values)
        if changes:
            # Only what the form edits: `times_used` moves with every order meanwhile, and saving
            # the copy the form was made from would put back what it said then.
            coupon.save(only=[Coupon._meta.fields[name] for name in changes])
            audit.record(
                coupon.organization_id,
                "coupon.update",
                user=actor,
                actor=actor_label,
                target=coupon,
                summary=verbatim(coupon.code),
                changes=changes,
            )
    return changes


def delete_coupon(coupon: Coupon, *, actor: User | None) -> None:
    """A coupon already used stays for the record; deactivate it instead."""
    if coupon.times_used:
        raise FieldError("coupon", _("This coupon has been used; deactivate it instead of deleting it."))
    with db.atomic():
        audit.record(coupon.organization_id, "coupon.delete", user=actor, target=coupon, summary=verbatim(coupon.code))
        coupon.delete_instance()
