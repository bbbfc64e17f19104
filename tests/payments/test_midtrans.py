from __future__ import annotations

import base64
import json
import re

import pytest

from tests.factories.accounts import make_org
from tests.factories.payments import MIDTRANS_KEY, configure_gateway, make_pending_order
from webapp.accounts.audit import AuditEntry
from webapp.orders.models import Order
from webapp.payments import service
from webapp.payments.models import Payment, PaymentNotification


@pytest.fixture
def order(org, midtrans):
    configure_gateway(org, "midtrans")
    return make_pending_order(org, price=150000)


def start(order) -> Payment:
    service.start_payment(order, "midtrans")
    return Payment.get(Payment.order == order)


def notify(client, org, body: bytes):
    return client.post(f"/payments/midtrans/notify/{org.id}", data=body, content_type="application/json")


def reload(row):
    return type(row).get_by_id(row.id)


def test_snap_transaction_is_created_with_the_server_key_and_a_valid_order_id(order, midtrans):
    url = service.start_payment(order, "midtrans")

    sent = midtrans.requests[-1]
    assert sent["path"] == "/snap/v1/transactions"
    assert sent["headers"]["Authorization"] == "Basic " + base64.b64encode(f"{MIDTRANS_KEY}:".encode()).decode()
    body = json.loads(sent["body"])
    order_id = body["transaction_details"]["order_id"]
    assert order_id.startswith(order.code + "-") and re.fullmatch(r"[A-Za-z0-9\-_~.]{1,50}", order_id)
    assert body["transaction_details"]["gross_amount"] == 150000
    assert body["customer_details"]["email"] == order.buyer_email
    assert body["callbacks"]["finish"] == f"http://rollcall.test/pay/{order.secret}/return"
    assert (
        sent["headers"]["X-Override-Notification"]
        == f"http://rollcall.test/payments/midtrans/notify/{order.organization_id}"
    )
    payment = Payment.get(Payment.order == order)
    assert url == payment.redirect_url and url.startswith(midtrans.url + "/snap/v4/redirection/")
    assert (payment.state, payment.reference, payment.amount, payment.currency) == ("pending", order_id, 150000, "IDR")


def test_a_second_start_reuses_the_open_attempt(order, midtrans):
    first = service.start_payment(order, "midtrans")
    second = service.start_payment(order, "midtrans")
    assert first == second
    assert len([r for r in midtrans.requests if r["path"] == "/snap/v1/transactions"]) == 1


def test_a_refused_key_fails_the_attempt_with_a_readable_error(org, midtrans):
    configure_gateway(org, "midtrans", server_key="SB-Mid-server-SomeOtherKey99999")
    order = make_pending_order(org)
    with pytest.raises(service.PaymentError, match="could not be started"):
        service.start_payment(order, "midtrans")
    payment = Payment.get(Payment.order == order)
    assert payment.state == "failed" and "Access denied" in payment.error
    assert reload(order).status == "pending"


def test_settlement_notification_marks_the_order_paid_after_checking_the_status_api(client, org, order, midtrans):
    payment = start(order)
    midtrans.set_status(payment.reference, "settlement")

    response = notify(client, org, midtrans.notification(payment.reference))

    assert response.status_code == 200
    assert reload(order).status == "paid"
    assert reload(payment).state == "paid" and reload(payment).method == "bank_transfer"
    assert any(r["path"] == f"/v2/{payment.reference}/status" for r in midtrans.requests)
    entry = PaymentNotification.get()
    assert (entry.verified, entry.outcome, entry.payment_id, entry.http_status) == (True, "paid", payment.id, 200)


def test_a_wrong_signature_is_rejected_logged_and_changes_nothing(client, org, order, midtrans):
    payment = start(order)
    midtrans.set_status(payment.reference, "settlement")
    calls_before = len(midtrans.requests)

    response = notify(client, org, midtrans.notification(payment.reference, server_key="SB-Mid-server-attacker"))

    assert response.status_code == 401
    assert reload(order).status == "pending" and reload(payment).state == "pending"
    assert len(midtrans.requests) == calls_before  # not even the status API was asked
    entry = PaymentNotification.get()
    assert (entry.verified, entry.outcome) == (False, "rejected")
    assert "signature" in entry.error and payment.reference in entry.body


def test_a_duplicate_notification_changes_nothing(client, org, order, midtrans):
    payment = start(order)
    midtrans.set_status(payment.reference, "settlement")
    body = midtrans.notification(payment.reference)

    assert notify(client, org, body).status_code == 200
    paid_at = reload(order).paid_at
    assert notify(client, org, body).status_code == 200

    assert reload(order).paid_at == paid_at
    outcomes = [n.outcome for n in PaymentNotification.select().order_by(PaymentNotification.id)]
    assert outcomes == ["paid", "duplicate"]
    assert AuditEntry.select().where(AuditEntry.action == "order.paid").count() == 1


def test_a_replayed_settlement_is_not_believed_when_the_status_api_disagrees(client, org, order, midtrans):
    payment = start(order)
    midtrans.set_status(payment.reference, "settlement")
    body = midtrans.notification(payment.reference)
    midtrans.set_status(payment.reference, "pending")  # e.g. a notification about another state

    assert notify(client, org, body).status_code == 200
    assert reload(order).status == "pending"
    assert PaymentNotification.get().outcome in ("pending", "duplicate")


def test_an_amount_mismatch_does_not_mark_paid_and_flags_the_order(client, org, order, midtrans):
    payment = start(order)
    midtrans.set_status(payment.reference, "settlement", gross_amount="100000.00")

    assert notify(client, org, midtrans.notification(payment.reference)).status_code == 200

    order = reload(order)
    assert order.status == "pending" and order.flag and "100000" in order.flag
    payment = reload(payment)
    assert payment.state == "pending" and payment.received_amount == 100000
    assert payment.flag.startswith("Amount mismatch")
    assert PaymentNotification.get().outcome == "flagged"


def test_a_settlement_turned_deny_revokes_the_paid_order(client, org, order, midtrans):
    payment = start(order)
    midtrans.set_status(payment.reference, "settlement")
    notify(client, org, midtrans.notification(payment.reference))
    assert reload(order).status == "paid"

    midtrans.set_status(payment.reference, "deny")
    assert notify(client, org, midtrans.notification(payment.reference)).status_code == 200

    order = reload(order)
    assert order.status != "paid" and "deny" in order.flag
    payment = reload(payment)
    assert payment.state == "failed" and "reversed" in payment.flag
    assert PaymentNotification.select().order_by(PaymentNotification.id.desc()).first().outcome == "revoked"


def test_a_fraud_challenge_holds_the_payment_until_midtrans_accepts(client, org, order, midtrans):
    payment = start(order)
    midtrans.set_status(payment.reference, "capture", fraud_status="challenge")

    notify(client, org, midtrans.notification(payment.reference))
    assert reload(order).status == "pending"
    assert reload(payment).state == "pending" and "challenge" in reload(payment).flag

    midtrans.set_status(payment.reference, "capture", fraud_status="accept")
    notify(client, org, midtrans.notification(payment.reference))
    assert reload(order).status == "paid"
    assert reload(payment).state == "paid" and reload(payment).flag is None


def test_an_expired_transaction_fails_the_attempt_but_keeps_the_order(client, org, order, midtrans):
    payment = start(order)
    midtrans.set_status(payment.reference, "expire")
    notify(client, org, midtrans.notification(payment.reference))
    assert reload(payment).state == "failed"
    assert reload(order).status == "pending"


def test_a_refund_revokes_the_order(client, org, order, midtrans):
    payment = start(order)
    midtrans.set_status(payment.reference, "settlement")
    notify(client, org, midtrans.notification(payment.reference))
    midtrans.set_status(payment.reference, "refund", refund_amount="150000.00")
    notify(client, org, midtrans.notification(payment.reference))
    assert reload(payment).state == "refunded" and reload(payment).refunded_amount == 150000
    assert reload(order).status != "paid"


def test_an_unreachable_status_api_answers_503_so_midtrans_retries(app, client, org, order, midtrans):
    payment = start(order)
    midtrans.set_status(payment.reference, "settlement")
    body = midtrans.notification(payment.reference)
    app.config["PAYMENT_GATEWAY_URLS"]["midtrans"]["api"] = "http://127.0.0.1:9"  # nothing listens there

    response = notify(client, org, body)

    assert response.status_code == 503
    assert reload(order).status == "pending"
    assert PaymentNotification.get().outcome == "error"


def test_refresh_status_picks_up_a_missed_notification(order, midtrans):
    payment = start(order)
    midtrans.set_status(payment.reference, "settlement")
    assert service.refresh_status(payment) == "paid"
    assert reload(payment).state == "paid" and reload(order).status == "paid"


def test_a_notification_sent_to_another_organization_cannot_touch_the_order(client, org, order, midtrans):
    payment = start(order)
    midtrans.set_status(payment.reference, "settlement")
    other = make_org()
    configure_gateway(other, "midtrans", server_key="SB-Mid-server-OtherOrgKey0000")

    # Signed with our key, sent to the other organization's endpoint: its key does not verify it.
    assert notify(client, other, midtrans.notification(payment.reference)).status_code == 401
    # Signed with the other organization's key: verified there, but the payment is not theirs.
    midtrans.server_key = "SB-Mid-server-OtherOrgKey0000"
    assert notify(client, other, midtrans.notification(payment.reference)).status_code == 200
    assert PaymentNotification.select().order_by(PaymentNotification.id.desc()).first().outcome == "unknown"
    assert reload(order).status == "pending"


def test_an_unknown_organization_or_gateway_is_rejected(client, org, order, midtrans):
    payment = start(order)
    assert notify(client, type("O", (), {"id": 999999})(), midtrans.notification(payment.reference)).status_code == 404
    assert client.post(f"/payments/nosuch/notify/{org.id}", data=b"{}").status_code == 404
    assert client.post(f"/payments/midtrans/notify/{org.id}", data=b"not json").status_code == 400


def test_midtrans_is_offered_for_rupiah_only(org, midtrans):
    configure_gateway(org, "midtrans")
    assert "midtrans" in dict(service.available_gateways(org, "IDR"))
    assert "midtrans" not in dict(service.available_gateways(org, "USD"))
    usd_order = make_pending_order(org, price=2500, currency="USD")
    with pytest.raises(service.PaymentError):
        service.start_payment(usd_order, "midtrans")
    assert Order.get_by_id(usd_order.id).status == "pending"


def test_quiet_open_attempts_are_checked_at_the_gateway(order, midtrans):
    import datetime as dt

    import tasks.payments
    from webapp.db import utcnow

    payment = start(order)
    midtrans.set_status(payment.reference, "settlement")
    assert service.refresh_stale_payments() == 0  # not quiet long enough yet
    Payment.update(updated_at=utcnow() - dt.timedelta(minutes=11)).where(Payment.id == payment.id).execute()

    assert tasks.payments.refresh_stale_payments.call_local() == 1
    assert reload(order).status == "paid"


def test_coming_back_from_midtrans_checks_the_payment_before_showing_the_order(client, order, midtrans):
    import datetime as dt

    from webapp.db import utcnow

    payment = start(order)
    midtrans.set_status(payment.reference, "settlement")
    Payment.update(updated_at=utcnow() - dt.timedelta(seconds=10)).where(Payment.id == payment.id).execute()

    response = client.get(f"/pay/{order.secret}/return?order_id={payment.reference}&transaction_status=settlement")

    assert response.status_code == 303 and response.headers["Location"].endswith(f"/o/{order.secret}")
    assert reload(order).status == "paid"
    assert client.get("/pay/not-a-secret/return").status_code == 404


def test_attendee_sees_why_a_payment_could_not_start_and_keeps_the_order(client, org, midtrans):
    configure_gateway(org, "midtrans", server_key="SB-Mid-server-SomeOtherKey99999")
    order = make_pending_order(org, gateway="midtrans")
    response = client.post(f"/o/{order.secret}/pay", data={"gateway": "midtrans"}, follow_redirects=True)
    assert response.status_code == 200
    assert b"The payment could not be started" in response.data
    assert reload(order).status == "pending"
