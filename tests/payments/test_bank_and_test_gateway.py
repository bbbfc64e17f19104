from __future__ import annotations

import dataclasses

import pytest

from tests.factories.accounts import make_member, make_org
from tests.factories.payments import configure_bank, configure_gateway, make_pending_order
from webapp.accounts.audit import AuditEntry
from webapp.orders.models import Order
from webapp.payments import service
from webapp.payments.gateways.simulated import gateway as test_gateway
from webapp.payments.models import Payment, PaymentNotification


def reload(row):
    return type(row).get_by_id(row.id)


# --- Bank transfer ------------------------------------------------------------------------------


def test_bank_transfer_is_offered_only_with_a_bank_account(org):
    configure_gateway(org, "bank", enabled=False)
    assert "bank" not in dict(service.available_gateways(org))
    with pytest.raises(Exception, match="bank account"):
        configure_gateway(org, "bank")  # enabling it first needs the account
    configure_bank(org)
    configure_gateway(org, "bank")
    assert "bank" in dict(service.available_gateways(org))


def test_the_bank_page_shows_the_account_and_the_order_code_as_reference(client, org):
    configure_bank(org, account_number="0987-6543-21")
    configure_gateway(org, "bank")
    order = make_pending_order(org, price=250000)

    url = service.start_payment(order, "bank")

    assert url == f"http://rollcall.test/pay/{order.secret}/bank"
    page = client.get(url.removeprefix("http://rollcall.test")).get_data(as_text=True)
    assert "0987654321" in page and "Bank Central Asia" in page and "PT Rollcall Events" in page
    assert order.code in page and "250,000" in page
    assert Payment.get(Payment.order == order).state == "pending"


def test_an_operator_marks_the_transfer_received_and_the_order_is_paid(auth, org):
    configure_bank(org)
    configure_gateway(org, "bank")
    order = make_pending_order(org)
    service.start_payment(order, "bank")
    manager = make_member(org, "manager")
    client = auth.client_for(manager, org)

    page = client.get(f"/console/payments/events/{order.event_id}").get_data(as_text=True)
    assert "Transfer received" in page and order.code in page
    response = client.post(f"/console/payments/orders/{order.id}/transfer-received", headers={"HX-Request": "true"})

    assert response.status_code == 200 and "marked paid" in response.get_data(as_text=True)
    assert reload(order).status == "paid" and reload(order).gateway == "bank"
    payment = Payment.get(Payment.order == order)
    assert payment.state == "paid" and manager.email in payment.gateway_status
    assert (
        AuditEntry.select().where((AuditEntry.action == "order.mark_paid") & (AuditEntry.user == manager.id)).exists()
    )
    again = client.post(f"/console/payments/orders/{order.id}/transfer-received", headers={"HX-Request": "true"})
    assert "Only a pending order" in again.get_data(as_text=True)


def test_an_order_paid_meanwhile_opens_no_payment_attempt(auth, org):
    """The attendee's page read the order while it was pending; the operator marked the transfer
    received before the attendee chose a method: no attempt is opened for a paid order."""
    configure_bank(org)
    configure_gateway(org, "bank")
    configure_gateway(org, "test")
    order = make_pending_order(org)
    seen_by_the_attendee = reload(order)
    client = auth.client_for(make_member(org, "manager"), org)
    response = client.post(f"/console/payments/orders/{order.id}/transfer-received", headers={"HX-Request": "true"})
    assert response.status_code == 200 and reload(order).status == "paid"
    attempts = Payment.select().where(Payment.order == order.id).count()

    with pytest.raises(service.PaymentError, match="not awaiting payment"):
        service.start_payment(seen_by_the_attendee, "test")
    assert Payment.select().where(Payment.order == order.id).count() == attempts


def test_door_staff_and_other_organizations_cannot_mark_paid(auth, org):
    order = make_pending_order(org)
    door = auth.client_for(make_member(org, "door"), org)
    assert door.post(f"/console/payments/orders/{order.id}/transfer-received").status_code in (302, 403)
    outsider_org = make_org()
    outsider = auth.client_for(make_member(outsider_org, "owner"), outsider_org)
    assert outsider.post(f"/console/payments/orders/{order.id}/transfer-received").status_code == 404
    assert outsider.get(f"/console/payments/events/{order.event_id}").status_code == 404
    assert outsider.get(f"/console/payments/orders/{order.id}").status_code == 404
    assert reload(order).status == "pending"


def test_the_order_payments_partial_lists_attempts(auth, org):
    configure_bank(org)
    configure_gateway(org, "bank")
    order = make_pending_order(org)
    service.start_payment(order, "bank")
    client = auth.client_for(make_member(org, "manager"), org)
    html = client.get(f"/console/payments/orders/{order.id}").get_data(as_text=True)
    assert Payment.get(Payment.order == order).reference in html and "mark paid" in html


# --- Test gateway -------------------------------------------------------------------------------


def test_the_test_gateway_pays_through_a_signed_notification(client, org):
    configure_gateway(org, "test")
    order = make_pending_order(org)
    url = service.start_payment(order, "test")
    path = url.removeprefix("http://rollcall.test")

    page = client.get(path).get_data(as_text=True)
    assert "no money moves" in page
    response = client.post(f"/pay/{order.secret}/test", data={"result": "pay"})

    assert response.status_code == 303 and response.headers["Location"].endswith(f"/o/{order.secret}")
    assert reload(order).status == "paid"
    entry = PaymentNotification.get()
    assert (entry.gateway, entry.verified, entry.outcome) == ("test", True, "paid")


def test_the_test_gateway_can_fail_a_payment(client, org):
    configure_gateway(org, "test")
    order = make_pending_order(org)
    service.start_payment(order, "test")
    client.post(f"/pay/{order.secret}/test", data={"result": "fail"})
    assert Payment.get(Payment.order == order).state == "failed"
    assert reload(order).status == "pending"


def test_a_forged_test_notification_is_rejected(client, org):
    configure_gateway(org, "test")
    order = make_pending_order(org)
    service.start_payment(order, "test")
    payment = Payment.get(Payment.order == order)
    body, headers = test_gateway.notification(payment, "pay")
    forged = client.post(
        f"/payments/test/notify/{org.id}", data=body, headers={**headers, "X-Rollcall-Signature": "0" * 64}
    )
    assert forged.status_code == 401 and reload(order).status == "pending"
    genuine = client.post(f"/payments/test/notify/{org.id}", data=body, headers=headers)
    assert genuine.status_code == 200 and reload(order).status == "paid"


def test_the_test_gateway_is_absent_when_the_installation_turns_it_off(app, client, org):
    configure_gateway(org, "test")
    order = make_pending_order(org)
    service.start_payment(order, "test")
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], test_gateway=False)

    assert "test" not in dict(service.available_gateways(org))
    assert client.get(f"/pay/{order.secret}/test").status_code == 404
    assert client.post(f"/pay/{order.secret}/test", data={"result": "pay"}).status_code == 404
    assert Order.get_by_id(order.id).status == "pending"


def test_the_order_page_shows_the_bank_details_while_the_transfer_is_awaited(client, org):
    configure_bank(org, account_number="5550001112")
    configure_gateway(org, "bank")
    order = make_pending_order(org, gateway="bank")
    page = client.get(f"/o/{order.secret}").get_data(as_text=True)
    assert "5550001112" in page and order.code in page
    Order.update(status="paid").where(Order.id == order.id).execute()
    assert "5550001112" not in client.get(f"/o/{order.secret}").get_data(as_text=True)


def test_the_demo_organization_can_take_payments(org):
    from webapp.payments.demo import seed

    seed(org)
    assert [name for name, _ in service.available_gateways(org, "IDR")] == ["bank", "test"]


def test_open_bank_and_test_attempts_follow_their_order(org):
    from webapp.orders import service as orders

    configure_bank(org)
    configure_gateway(org, "bank")
    configure_gateway(org, "test")
    paid_by_operator, canceled = make_pending_order(org, gateway="bank"), make_pending_order(org)
    service.start_payment(paid_by_operator, "test")
    service.start_payment(paid_by_operator, "bank")
    service.start_payment(canceled, "bank")

    orders.mark_paid_manually(reload(paid_by_operator), actor=None, gateway="bank")
    orders.cancel_order(reload(canceled), actor=None, reason="asked by the attendee")

    states = {p.gateway: p.state for p in Payment.select().where(Payment.order == paid_by_operator)}
    assert states == {"bank": "paid", "test": "canceled"}
    assert Payment.get(Payment.order == canceled).state == "canceled"


def test_notifications_need_no_csrf_token_but_the_simulated_page_does(csrf_app):
    from tests.factories.accounts import make_org as new_org

    org = new_org()
    configure_gateway(org, "test")
    order = make_pending_order(org)
    service.start_payment(order, "test")
    payment = Payment.get(Payment.order == order)
    client = csrf_app.test_client()

    assert client.post(f"/pay/{order.secret}/test", data={"result": "pay"}).status_code == 400
    assert reload(order).status == "pending"
    body, headers = test_gateway.notification(payment, "pay")
    assert client.post(f"/payments/test/notify/{org.id}", data=body, headers=headers).status_code == 200
    assert reload(order).status == "paid"


def test_the_notification_log_keeps_half_a_year(org):
    import datetime as dt

    from webapp.db import utcnow

    old = PaymentNotification.create(organization=org, gateway="test", received_at=utcnow() - dt.timedelta(days=181))
    recent = PaymentNotification.create(organization=org, gateway="test", received_at=utcnow() - dt.timedelta(days=179))
    assert service.prune_notifications() == 1
    assert PaymentNotification.get_or_none(PaymentNotification.id == old.id) is None
    assert PaymentNotification.get_or_none(PaymentNotification.id == recent.id) is not None


def test_an_organization_turning_the_test_gateway_off_stops_open_attempts(client, org):
    configure_gateway(org, "test")
    order = make_pending_order(org)
    service.start_payment(order, "test")
    configure_gateway(org, "test", enabled=False)
    assert client.get(f"/pay/{order.secret}/test").status_code == 404
    assert client.post(f"/pay/{order.secret}/test", data={"result": "pay"}).status_code == 404
    assert reload(order).status == "pending"


def test_a_failure_while_applying_rolls_back_and_is_still_logged(client, org, monkeypatch):
    from webapp.orders import service as orders

    configure_gateway(org, "test")
    order = make_pending_order(org)
    service.start_payment(order, "test")
    payment = Payment.get(Payment.order == order)
    body, headers = test_gateway.notification(payment, "pay")

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(orders, "confirm_payment", broken)
    response = client.post(f"/payments/test/notify/{org.id}", data=body, headers=headers)

    assert response.status_code == 503  # the gateway retries; never a 500
    assert reload(payment).state == "pending" and reload(order).status == "pending"
    entry = PaymentNotification.get()
    assert (entry.outcome, entry.http_status, entry.organization_id) == ("error", 503, org.id)
    assert "database went away" in entry.error
    monkeypatch.undo()
    assert client.post(f"/payments/test/notify/{org.id}", data=body, headers=headers).status_code == 200
    assert reload(order).status == "paid"


def test_the_order_page_status_refresh_carries_the_bank_details_once(client, org):
    configure_bank(org, account_number="5550001112")
    configure_gateway(org, "bank")
    order = make_pending_order(org, gateway="bank")
    fragment = client.get(f"/o/{order.secret}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.count("5550001112") == 1
    assert fragment.rstrip().endswith("</div>")  # one element: the refresh replaces it, adds nothing beside it
