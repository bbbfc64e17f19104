"""Orders: create one for a custom registration flow (the checkout's own checks, then the payment
link), get, list, cancel. ORDERS and PAYMENTS own the rules; this module translates."""

from __future__ import annotations

from flask import g
from werkzeug.datastructures import MultiDict

from webapp.api.framework import invalid, operation
from webapp.api.schema import AnyValue, Array, Bool, DateTime, Email, Int, Line, Map, Obj, Out, Str
from webapp.api.v1.common import actor_label, state_conflict
from webapp.api.v1.events import get_event
from webapp.catalog.models import Product
from webapp.orders import checkout, states
from webapp.orders import service as orders
from webapp.orders.codes import new_checkout_token
from webapp.orders.models import ORDER_STATUSES, Order, Registrant
from webapp.payments import service as payments
from webapp.payments.service import order_page_url

TAG = "Orders"
ID = Int(minimum=1, maximum=2**31 - 1)


def _ticket_url(registrant_or_order) -> str:

    order = registrant_or_order if isinstance(registrant_or_order, Order) else registrant_or_order.order
    return order_page_url(order)


RegistrantOut = Out(
    "Registrant",
    {
        "id": Int(),
        "event_id": Int(source=lambda r: r.event_id),
        "order_id": Int(source=lambda r: r.order_id),
        "order_code": Str(source=lambda r: r.order.code),
        "order_status": Str(enum=ORDER_STATUSES, source=lambda r: r.order.status),
        "product_id": Int(source=lambda r: r.product_id),
        "product_name": Str(source=lambda r: r.product.name),
        "contact_id": Int(null=True, source=lambda r: r.contact_id),
        "group_id": Int(null=True, source=lambda r: r.group_id, description="null: the event's default group."),
        "state": Str(
            enum=states.REGISTRANT_STATES,
            source=lambda r: states.of_registrant(r, r.order, r.event),
            description="The participant state (docs/participant-groups.md).",
        ),
        "name": Str(),
        "email": Str(),
        "answers": Map(AnyValue(null=True), max_properties=None, description="Question id → answer."),
        "ticket_secret": Str(description="The QR content of the ticket."),
        "canceled": Bool(),
        "blocked": Bool(),
        "checked_in": Bool(source=lambda r: r.checked_in_at is not None),
        "checked_in_at": DateTime(null=True),
        "created_at": DateTime(),
        "updated_at": DateTime(),
    },
)
OrderOut = Out(
    "Order",
    {
        "id": Int(),
        "code": Str(),
        "event_id": Int(source=lambda o: o.event_id),
        "status": Str(enum=ORDER_STATUSES),
        "approval": Str(enum=("none", "pending", "approved", "declined")),
        "buyer_name": Str(),
        "buyer_email": Str(),
        "currency": Str(),
        "subtotal": Int(),
        "discount": Int(),
        "total": Int(description="Minor units of `currency`."),
        "coupon_code": Str(null=True, source=lambda o: o.coupon.code if o.coupon_id else None),
        "gateway": Str(null=True),
        "source": Str(),
        "flag": Str(null=True, description="Set when the order needs an operator (amount mismatch, ...)."),
        "order_url": Str(source=_ticket_url, description="The attendee's order page (tickets, payment)."),
        "expires_at": DateTime(null=True, description="A pending order holds its seats until then."),
        "paid_at": DateTime(null=True),
        "canceled_at": DateTime(null=True),
        "created_at": DateTime(),
        "registrants": Array(RegistrantOut, source=lambda o: list(o.registrants.order_by(Registrant.id))),
    },
)
CreatedOrder = Out(
    "CreatedOrder",
    {
        "order": OrderOut,
        "payment_url": Str(null=True, description="Send the buyer here to pay; null when nothing is to be paid now."),
        "payment_error": Str(null=True, description="Why no payment link could be made (the order stays pending)."),
    },
)
Answers = Map(AnyValue(), max_properties=100, description="Question id → answer (list of strings for multiple choice).")
OrderCreate = Obj(
    "OrderCreate",
    {
        "buyer": Obj(
            "Buyer", {"name": Line(min_length=1, max_length=200), "email": Email()}, required=("name", "email")
        ),
        "items": Array(
            Obj(
                "OrderLine",
                {"product_id": ID, "quantity": Int(minimum=1, maximum=1000)},
                required=("product_id", "quantity"),
            ),
            min_items=1,
            max_items=50,
        ),
        "attendees": Array(
            Obj(
                "Attendee",
                {"name": Line(max_length=200), "email": Email(), "answers": Answers},
                description="One per ticket, in the order of `items` (default: the buyer).",
            ),
            max_items=1000,
        ),
        "answers": Answers,
        "coupon": Str(max_length=64),
        "gateway": Str(max_length=32, description="Payment gateway for a paid order (e.g. midtrans, stripe, bank)."),
        "access_keys": Array(Str(max_length=64), max_items=20, description="Unlock hidden products."),
        "invitation_code": Str(max_length=64),
        "locale": Str(enum=("en", "id")),
    },
    required=("buyer", "items"),
)
CancelRequest = Obj("CancelRequest", {"reason": Str(max_length=300)})


def _form(event, body: dict) -> MultiDict:
    """The API body as the checkout form the web page would send, so the same checks run."""
    form = MultiDict()
    for line in body["items"]:
        form.add(f"qty-{line['product_id']}", str(line["quantity"]))
    form.add("buyer_name", body["buyer"]["name"])
    form.add("buyer_email", body["buyer"]["email"])
    _add_answers(form, "", body.get("answers") or {})
    for index, person in enumerate(body.get("attendees") or []):
        form.add(f"a{index}-name", person.get("name") or "")
        form.add(f"a{index}-email", person.get("email") or "")
        _add_answers(form, f"a{index}-", person.get("answers") or {})
    form.add("coupon", body.get("coupon") or "")
    form.add("gateway", body.get("gateway") or "")
    form.add("checkout_token", new_checkout_token())
    return form


def _add_answers(form: MultiDict, prefix: str, answers: dict) -> None:
    for question_id, value in answers.items():
        name = f"{prefix}q{question_id}"
        if isinstance(value, list):
            for item in value:
                form.add(name, item)
        elif isinstance(value, bool):
            if value:
                form.add(name, "y")
        else:
            form.add(name, str(value))


def _api_field(name: str) -> str:
    """A checkout form field name → the API body path."""
    if name.startswith("qty-") or name == "tickets":
        return "items"
    if name in ("buyer_name", "buyer_email"):
        return f"buyer.{name[6:]}"
    if name.startswith("a") and "-" in name:
        index, _, rest = name[1:].partition("-")
        rest = f"answers.{rest[1:]}" if rest.startswith("q") else rest
        return f"attendees[{index}].{rest}"
    if name.startswith("q") and name[1:].isdigit():
        return f"answers.{name[1:]}"
    return name or "body"


def _check_products(event, body: dict) -> None:
    own = {p.id for p in Product.select(Product.id).where(Product.event == event.id)}
    for index, line in enumerate(body["items"]):
        if line["product_id"] not in own:
            raise invalid("Unknown product.", **{f"items[{index}].product_id": "Not a product of this event."})


@operation(
    "POST",
    "/events/<int:event_id>/orders",
    tag=TAG,
    scope="orders",
    summary="Create an order (custom registration flow)",
    body=OrderCreate,
    response=CreatedOrder,
    status=201,
)
def create_order(event_id, body):
    """Runs the checkout's checks (registration open, products on sale, quantities, invitation,
    questions, coupon, capacity). A paid order comes back pending with `payment_url`; a free one
    comes back paid (tickets are emailed)."""

    event = get_event(event_id)
    _check_products(event, body)
    access = checkout.find_access(
        event, product_keys=body.get("access_keys") or [], invite_code=body.get("invitation_code") or ""
    )
    gateway_names = [name for name, _ in payments.available_gateways(event.organization_id, event.currency, event.id)]
    try:
        submission = checkout.read_form(
            event, _form(event, body), access=access, locale=body.get("locale") or "en", gateways=gateway_names
        )
        order, _ = checkout.place_order(submission)
    except checkout.CheckoutError as exc:
        fields = {_api_field(name): message for name, message in exc.errors.items()}
        raise invalid(fields.get("body") or "The order cannot be placed.", **fields) from None
    payment_url = payment_error = None
    if order.status == "pending" and order.total > 0 and order.approval != "pending" and submission.gateway:
        try:
            payment_url = payments.start_payment(order, submission.gateway)
        except payments.PaymentError as exc:
            payment_error = str(exc)
    return {"order": Order.get_by_id(order.id), "payment_url": payment_url, "payment_error": payment_error}


@operation(
    "GET",
    "/orders",
    tag=TAG,
    scope="orders",
    summary="List orders",
    page=OrderOut,
    query={"event_id": ID, "status": Str(enum=ORDER_STATUSES), "email": Email(), "code": Str(max_length=16)},
)
def list_orders(query):
    select = Order.for_org(g.api_org_id)
    if "event_id" in query:
        select = select.where(Order.event == query["event_id"])
    if "status" in query:
        select = select.where(Order.status == query["status"])
    if "email" in query:
        select = select.where(Order.buyer_email == query["email"])
    if "code" in query:
        select = select.where(Order.code == query["code"].upper())
    return select


@operation("GET", "/orders/<int:order_id>", tag=TAG, scope="orders", summary="Get an order", response=OrderOut)
def read_order(order_id):
    return Order.get_for_org(g.api_org_id, order_id)


@operation(
    "POST",
    "/orders/<int:order_id>/cancel",
    tag=TAG,
    scope="orders",
    summary="Cancel an order",
    body=CancelRequest,
    response=OrderOut,
)
def cancel_order(order_id, body):
    """Its tickets become void and its seats go back on sale. 409 when already canceled or refunded."""
    order = Order.get_for_org(g.api_org_id, order_id)
    try:
        orders.cancel_order(order, actor=None, reason=body.get("reason") or "", actor_label=actor_label())
    except orders.OrderError as exc:
        raise state_conflict(exc) from None
    return Order.get_by_id(order.id)


@operation(
    "GET",
    "/registrants/<int:registrant_id>",
    tag="Registrants",
    scope="registrants",
    summary="Get a registrant",
    response=RegistrantOut,
)
def read_registrant(registrant_id):
    return Registrant.get_for_org(g.api_org_id, registrant_id)


@operation(
    "POST",
    "/orders/<int:order_id>/accept",
    tag=TAG,
    scope="orders",
    summary="Accept a registration awaiting acceptance",
    response=OrderOut,
)
def accept_order(order_id):
    """409, with nothing changed, when the order does not await acceptance or accepting it would
    pass the event's approval limit or a participant group's accept limit."""
    order = Order.get_for_org(g.api_org_id, order_id)
    try:
        orders.approve_order(order, actor=None, actor_label=actor_label())
    except orders.OrderError as exc:
        raise state_conflict(exc) from None
    return Order.get_by_id(order.id)


@operation(
    "POST",
    "/orders/<int:order_id>/decline",
    tag=TAG,
    scope="orders",
    summary="Decline a registration awaiting acceptance",
    response=OrderOut,
)
def decline_order(order_id):
    """409 when the order does not await acceptance."""
    order = Order.get_for_org(g.api_org_id, order_id)
    try:
        orders.decline_order(order, actor=None, actor_label=actor_label())
    except orders.OrderError as exc:
        raise state_conflict(exc) from None
    return Order.get_by_id(order.id)
