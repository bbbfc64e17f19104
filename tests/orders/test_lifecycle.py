import datetime as dt

import pytest

from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_coupon, make_product
from tests.factories.events import make_event
from tests.factories.orders import make_order
from tests.factories.payments import configure_gateway
from tests.orders.helpers import form, register_url
from webapp import signals
from webapp.accounts.audit import AuditEntry
from webapp.db import utcnow
from webapp.mail.models import Outbox
from webapp.orders import capacity, service
from webapp.orders.models import Order, Registrant


@pytest.fixture
def received():
    seen = []

    def listener(sender, **kwargs):
        seen.append(kwargs)

    for sig in (signals.order_paid, signals.order_canceled, signals.registration_created):
        sig.connect(listener)
    yield seen
    for sig in (signals.order_paid, signals.order_canceled, signals.registration_created):
        sig.disconnect(listener)


def test_unpaid_order_expires_and_frees_its_seats(app, received):
    event = make_event(make_org())
    ticket = make_product(event, quota=2)
    order = make_order(event, {ticket: 2}, status="pending")
    assert capacity.availability(event)[ticket.id] == 0
    assert service.expire_due_orders() == 0
    Order.update(expires_at=utcnow() - dt.timedelta(seconds=1)).where(Order.id == order.id).execute()
    assert service.expire_due_orders() == 1
    assert Order.get_by_id(order.id).status == "expired"
    assert capacity.availability(event)[ticket.id] == 2
    assert all(r.canceled for r in Registrant.select())
    assert {"order_id": order.id} in received


def test_expiry_gives_the_coupon_use_back(client):
    org = make_org()
    configure_gateway(org, "test")
    event = make_event(org)
    ticket = make_product(event, price=100000)
    coupon = make_coupon(event, code="ONCE", kind="fixed", value=10000, usage_limit=1)
    response = client.post(register_url(event), data=form({ticket: 1}, coupon="ONCE", gateway="test"))
    assert response.status_code == 303, response.get_data(as_text=True)
    assert type(coupon).get_by_id(coupon.id).times_used == 1
    Order.update(expires_at=utcnow() - dt.timedelta(seconds=1)).execute()
    service.expire_due_orders()
    assert type(coupon).get_by_id(coupon.id).times_used == 0


def test_confirm_payment_is_idempotent_and_checks_the_amount(app, received):
    event = make_event(make_org(), currency="IDR")
    ticket = make_product(event, price=100000)
    order = make_order(event, {ticket: 1}, status="pending")
    assert service.confirm_payment(order.id, amount=90000, currency="IDR", gateway="test", reference="r1") == "flagged"
    assert Order.get_by_id(order.id).status == "pending" and Order.get_by_id(order.id).flag
    assert service.confirm_payment(order.id, amount=100000, currency="IDR", gateway="test", reference="r1") == "paid"
    assert (
        service.confirm_payment(order.id, amount=100000, currency="IDR", gateway="test", reference="r1")
        == "already_paid"
    )
    assert [k for k in received if k == {"order_id": order.id}] == [{"order_id": order.id}]


def test_paying_an_expired_order_revives_it_or_flags_it(app):
    event = make_event(make_org())
    ticket = make_product(event, price=5000, quota=1)
    late = make_order(event, {ticket: 1}, status="expired")
    assert (
        service.confirm_payment(late.id, amount=5000, currency=event.currency, gateway="test", reference="a") == "paid"
    )
    too_late = make_order(event, {ticket: 1}, status="expired")
    assert (
        service.confirm_payment(too_late.id, amount=5000, currency=event.currency, gateway="test", reference="b")
        == "flagged"
    )
    assert Order.get_by_id(too_late.id).status == "expired"
    assert "seats are gone" in Order.get_by_id(too_late.id).flag


def test_attendee_cancels_before_the_deadline_only(client):
    event = make_event(make_org(), cancel_allowed_until=utcnow() + dt.timedelta(days=1))
    ticket = make_product(event, quota=1)
    order = make_order(event, {ticket: 1})
    assert "Cancel my order" in client.get(f"/o/{order.secret}").get_data(as_text=True)
    client.post(f"/o/{order.secret}/cancel")
    assert Order.get_by_id(order.id).status == "canceled"
    assert capacity.availability(event)[ticket.id] == 1
    event.cancel_allowed_until = utcnow() - dt.timedelta(minutes=1)
    event.save()
    other = make_order(event, {ticket: 1})
    client.post(f"/o/{other.secret}/cancel")
    assert Order.get_by_id(other.id).status == "paid"


def test_attendee_fixes_a_name_on_the_order_page(client):
    event = make_event(make_org())
    order = make_order(event, attendees=[{"name": "Ana Ptri", "email": "ana@example.org"}])
    registrant = order.registrants.get()
    response = client.post(
        f"/o/{order.secret}/attendees/{registrant.id}", data={"name": "Ana Putri", "email": "ana@example.org"}
    )
    assert response.status_code == 303
    assert type(registrant).get_by_id(registrant.id).name == "Ana Putri"
    response = client.post(f"/o/{order.secret}/attendees/{registrant.id}", data={"name": "", "email": "x"})
    assert response.status_code == 422 and type(registrant).get_by_id(registrant.id).name == "Ana Putri"


@pytest.mark.parametrize(
    "name, message",
    [("Ana\r\nBcc: victim@example.org", "Write the name on one line"), ("A" * 201, "Keep the name to 200 characters")],
)
def test_an_attendee_cannot_change_a_name_to_one_checkout_refuses(client, name, message):
    """Checkout refused a name with a line break while the attendee's own edit page took it."""
    event = make_event(make_org())
    order = make_order(event, attendees=[{"name": "Ana Putri", "email": "ana@example.org"}])
    registrant = order.registrants.get()
    response = client.post(
        f"/o/{order.secret}/attendees/{registrant.id}", data={"name": name, "email": "ana@example.org"}
    )
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert Registrant.get_by_id(registrant.id).name == "Ana Putri"


def test_an_operators_addition_refuses_a_name_too_long_rather_than_cutting_it(app):
    event = make_event(make_org())
    ticket = make_product(event)
    people = [{"name": "A" * 201, "email": "a@example.org"}]
    with pytest.raises(service.OrderError, match="Keep the name to 200 characters"):
        service.add_participants(event, ticket, people, source="console", paid=True, send_ticket=False, actor=None)
    each = service.add_participants_each(
        event, ticket, people, source="import", paid=True, send_ticket=False, actor=None
    )
    assert list(each.refused) == [0] and not each.order_ids
    assert Registrant.select().count() == 0


def test_operator_actions_are_audited(app):
    org = make_org()
    operator = make_member(org)
    event = make_event(org)
    ticket = make_product(event, price=5000)
    order = make_order(event, {ticket: 1}, status="pending")
    service.mark_paid_manually(order, actor=operator, gateway="bank")
    service.mark_refunded(order, actor=operator)
    actions = [e.action for e in AuditEntry.select().order_by(AuditEntry.id)]
    assert actions == ["order.mark_paid", "order.refund"]
    assert Order.get_by_id(order.id).status == "refunded"
    with pytest.raises(service.OrderError):
        service.cancel_order(order, actor=operator)


def test_add_participants_respects_capacity(app):
    event = make_event(make_org())
    ticket = make_product(event, quota=2)
    people = [{"name": "A", "email": "a@example.org"}, {"name": "B", "email": "b@example.org"}]
    order = service.add_participants(event, ticket, people, source="console", paid=True, send_ticket=False, actor=None)
    assert order.status == "paid" and not order.send_ticket and order.registrants.count() == 2
    with pytest.raises(service.OrderError):
        service.add_participants(event, ticket, people[:1], source="door", paid=True, send_ticket=True, actor=None)


def test_change_product_and_cancel_registrant_move_seats(app):
    event = make_event(make_org())
    a = make_product(event, quota=1)
    b = make_product(event, quota=1)
    registrant = make_order(event, {a: 1}).registrants.get()
    service.change_product(registrant, b, actor=None)
    assert capacity.availability(event) == {a.id: 1, b.id: 0}
    other = make_order(event, {a: 1}).registrants.get()
    with pytest.raises(service.OrderError):
        service.change_product(other, b, actor=None)
    service.cancel_registrant(type(registrant).get_by_id(registrant.id), actor=None)
    assert capacity.availability(event)[b.id] == 1


def test_approval_flow(app):
    org = make_org()
    operator = make_member(org)
    event = make_event(org, requires_approval=True, approval_limit=1)
    paid_ticket = make_product(event, price=5000)
    first = make_order(event, {paid_ticket: 1}, status="pending", approval="pending", expires_at=None)
    second = make_order(event, {paid_ticket: 1}, status="pending", approval="pending", expires_at=None)
    with pytest.raises(service.OrderError):
        service.mark_paid_manually(first, actor=operator)
    service.approve_order(first, actor=operator)
    first = Order.get_by_id(first.id)
    assert first.approval == "approved" and first.status == "pending" and first.expires_at is not None
    with pytest.raises(service.OrderError, match="limit"):
        service.approve_order(second, actor=operator)
    service.decline_order(second, actor=operator)
    assert Order.get_by_id(second.id).status == "canceled"
    kinds = [m.kind for m in Outbox.select().order_by(Outbox.id)]
    assert kinds == ["order.approved", "order.declined"]


def test_demo_has_paid_registrations_and_a_bank_transfer_to_confirm(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert Order.select().where(Order.status == "paid").count() == 4
    pending = Order.get(Order.status == "pending")
    assert pending.buyer_name == "Dewi Lestari" and pending.expires_at is None


def test_coupon_and_invitation_uses_follow_expiry_revival_and_cancel(app):
    from webapp.orders.models import Invitation

    event = make_event(make_org())
    ticket = make_product(event, price=10000)
    coupon = make_coupon(event, code="HALF", kind="percent", value=50, times_used=1)
    invitation = Invitation.create(organization=event.organization_id, event=event, code="INVITE1234", times_used=1)
    order = make_order(
        event, {ticket: 1}, status="pending", coupon=coupon, coupon_uses=1, invitation=invitation, total=5000
    )
    Order.update(expires_at=utcnow() - dt.timedelta(seconds=1)).execute()
    service.expire_due_orders()
    assert (type(coupon).get_by_id(coupon.id).times_used, Invitation.get_by_id(invitation.id).times_used) == (0, 0)
    assert (
        service.confirm_payment(order.id, amount=5000, currency=event.currency, gateway="test", reference="x") == "paid"
    )
    assert (type(coupon).get_by_id(coupon.id).times_used, Invitation.get_by_id(invitation.id).times_used) == (1, 1)
    service.cancel_order(Order.get_by_id(order.id), actor=None)
    assert type(coupon).get_by_id(coupon.id).times_used == 0
    expired = make_order(event, {ticket: 1}, status="expired", coupon=coupon, coupon_uses=1)
    service.cancel_order(expired, actor=None)  # an expired order gave its uses back already
    assert type(coupon).get_by_id(coupon.id).times_used == 0
