"""Ticket products and coupons of an event: list, get, create, update (CATALOG's services)."""

from __future__ import annotations

from flask import g

from webapp import money
from webapp.api.framework import operation
from webapp.api.schema import Array, Bool, DateTime, Int, Line, Obj, Out, Str
from webapp.api.v1.common import actor_label, field_error, wall
from webapp.api.v1.events import get_event
from webapp.api.v1.resource import OrgResource
from webapp.catalog import coupons
from webapp.catalog import service as catalog
from webapp.catalog.models import Coupon, Product
from webapp.events.models import MOST_PER_ORDER, MOST_SEATS, Event
from webapp.events.service import FieldError
from webapp.orders import capacity

ProductOut = Out(
    "Product",
    {
        "id": Int(),
        "event_id": Int(source=lambda p: p.event_id),
        "name": Str(),
        "description": Str(),
        "price": Int(description="Minor units of `currency` (IDR: whole rupiah)."),
        "currency": Str(),
        "quota": Int(null=True, description="Seats for sale; null: no limit."),
        "available": Int(
            null=True,
            source=lambda p: capacity.availability(p.event).get(p.id),
            description="Seats left now (pending orders hold theirs); null: no limit.",
        ),
        "sale_starts_at": DateTime(null=True),
        "sale_ends_at": DateTime(null=True),
        "min_per_order": Int(),
        "max_per_order": Int(null=True),
        "hidden": Bool(),
        "admits_entry": Bool(description="A ticket (true) or an add-on (false)."),
        "active": Bool(),
        "created_at": DateTime(),
    },
)
_product_fields = {
    "name": Line(min_length=1, max_length=200),
    "description": Str(max_length=5000),
    "price": Int(minimum=0, maximum=money.MAX_MINOR, description="Minor units of the event's currency."),
    "quota": Int(minimum=0, maximum=MOST_SEATS, null=True),
    "sale_starts_at": DateTime(null=True),
    "sale_ends_at": DateTime(null=True),
    "min_per_order": Int(minimum=0, maximum=MOST_PER_ORDER),
    "max_per_order": Int(minimum=1, maximum=MOST_PER_ORDER, null=True),
    "hidden": Bool(),
    "admits_entry": Bool(),
    "active": Bool(),
}
ProductCreate = Obj("ProductCreate", _product_fields, required=("name",))
ProductUpdate = Obj("ProductUpdate", _product_fields, description="Only the fields sent change.")

CouponOut = Out(
    "Coupon",
    {
        "id": Int(),
        "event_id": Int(source=lambda c: c.event_id),
        "code": Str(),
        "kind": Str(enum=("percent", "fixed")),
        "value": Int(description="Percent (1-100) or minor units."),
        "product_ids": Array(Int(), description="Empty: every product."),
        "usage_limit": Int(null=True),
        "per_order_limit": Int(null=True),
        "valid_from": DateTime(null=True),
        "valid_until": DateTime(null=True),
        "active": Bool(),
        "times_used": Int(),
        "created_at": DateTime(),
    },
)
_coupon_fields = {
    "code": Str(min_length=3, max_length=64, description="Letters, digits, dashes, underscores; case-insensitive."),
    "kind": Str(enum=("percent", "fixed")),
    "value": Int(minimum=1, maximum=money.MAX_MINOR),
    "product_ids": Array(Int(minimum=1, maximum=2**31 - 1), max_items=200),
    "usage_limit": Int(minimum=1, maximum=MOST_SEATS, null=True),
    "per_order_limit": Int(minimum=1, maximum=MOST_PER_ORDER, null=True),
    "valid_from": DateTime(null=True),
    "valid_until": DateTime(null=True),
    "active": Bool(),
}
CouponCreate = Obj("CouponCreate", _coupon_fields, required=("code", "kind", "value"))
CouponUpdate = Obj("CouponUpdate", _coupon_fields, description="Only the fields sent change.")

PRODUCT_TIMES = ("sale_starts_at", "sale_ends_at")
COUPON_TIMES = ("valid_from", "valid_until")


def _merged(row, body: dict, fields: dict, times: tuple[str, ...], event: Event) -> dict:
    data = {key: getattr(row, key) for key in fields} if row is not None else {}
    data.update(body)
    for key in times:
        data[key] = wall(data.get(key), event.timezone)
    return data


TAG = "Products and coupons"
PRODUCTS = OrgResource(
    Product, "/products", "product", "products", tag=TAG, scope="catalog", errors={FieldError: field_error}
)
COUPONS = OrgResource(
    Coupon, "/coupons", "coupon", "coupons", tag=TAG, scope="catalog", errors={FieldError: field_error}
)


# Products -----------------------------------------------------------------------------------------


@operation(
    "GET",
    "/events/<int:event_id>/products",
    tag=TAG,
    scope="catalog",
    summary="List an event's products",
    page=ProductOut,
    query={"active": Bool()},
)
def list_products(event_id, query):
    event = get_event(event_id)
    select = Product.for_org(g.api_org_id).where(Product.event == event.id)
    if "active" in query:
        select = select.where(Product.active == query["active"])
    return select


read_product = PRODUCTS.read(summary="Get a product", response=ProductOut)


@operation(
    "POST",
    "/events/<int:event_id>/products",
    tag=TAG,
    scope="catalog",
    summary="Create a product",
    body=ProductCreate,
    response=ProductOut,
    status=201,
)
def create_product(event_id, body):
    event = get_event(event_id)
    try:
        product = catalog.create_product(
            event, _merged(None, body, _product_fields, PRODUCT_TIMES, event), actor=None, actor_label=actor_label()
        )
    except FieldError as exc:
        raise field_error(exc) from None
    return product


def _update_product(product: Product, body: dict) -> None:
    event = Event.get_by_id(product.event_id)
    catalog.update_product(
        product, _merged(product, body, _product_fields, PRODUCT_TIMES, event), actor=None, actor_label=actor_label()
    )


update_product = PRODUCTS.update(
    summary="Update a product", body=ProductUpdate, response=ProductOut, change=_update_product
)


# Coupons ------------------------------------------------------------------------------------------


@operation(
    "GET",
    "/events/<int:event_id>/coupons",
    tag=TAG,
    scope="catalog",
    summary="List an event's coupons",
    page=CouponOut,
    query={"active": Bool(), "code": Str(max_length=64)},
)
def list_coupons(event_id, query):
    event = get_event(event_id)
    select = Coupon.for_org(g.api_org_id).where(Coupon.event == event.id)
    if "active" in query:
        select = select.where(Coupon.active == query["active"])
    if "code" in query:
        select = select.where(Coupon.code == coupons.normalize_code(query["code"]))
    return select


read_coupon = COUPONS.read(summary="Get a coupon", response=CouponOut)


@operation(
    "POST",
    "/events/<int:event_id>/coupons",
    tag=TAG,
    scope="catalog",
    summary="Create a coupon",
    body=CouponCreate,
    response=CouponOut,
    status=201,
)
def create_coupon(event_id, body):
    event = get_event(event_id)
    try:
        return coupons.create_coupon(
            event, _merged(None, body, _coupon_fields, COUPON_TIMES, event), actor=None, actor_label=actor_label()
        )
    except FieldError as exc:
        raise field_error(exc) from None


def _update_coupon(coupon: Coupon, body: dict) -> None:
    event = Event.get_by_id(coupon.event_id)
    coupons.update_coupon(
        coupon, _merged(coupon, body, _coupon_fields, COUPON_TIMES, event), actor=None, actor_label=actor_label()
    )


update_coupon = COUPONS.update(summary="Update a coupon", body=CouponUpdate, response=CouponOut, change=_update_coupon)
