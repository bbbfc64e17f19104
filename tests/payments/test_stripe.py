from __future__ import annotations

import time
from urllib.parse import parse_qsl

import pytest

from tests.factories.payments import STRIPE_KEY, STRIPE_WEBHOOK_SECRET, configure_gateway, make_pending_order
from tests.payments.fakes import stripe_event, stripe_signature
from webapp.payments import service
from webapp.payments.gateways.stripe import from_stripe_amount, to_stripe_amount
from webapp.payments.models import Payment, PaymentNotification


@pytest.fixture
def order(org, stripe):
    configure_gateway(org, "stripe")
    return make_pending_order(org, price=150000)


def start(order) -> Payment:
    service.start_payment(order, "stripe")
    return Payment.get(Payment.order == order)


def webhook(client, org, body: bytes, signature: str):
    return client.post(
        f"/payments/stripe/notify/{org.id}",
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": signature},
    )


def completed(client, org, stripe, payment, **kwargs):
    body = stripe_event("checkout.session.completed", stripe.complete(payment.external_id, **kwargs))
    return webhook(client, org, body, stripe_signature(body, STRIPE_WEBHOOK_SECRET))


def reload(row):
    return type(row).get_by_id(row.id)


def test_the_checkout_session_is_created_with_our_ids_and_the_amount_in_stripe_units(order, stripe):
    url = service.start_payment(order, "stripe")

    sent = stripe.requests[-1]
    assert (sent["method"], sent["path"]) == ("POST", "/v1/checkout/sessions")
    assert sent["headers"]["Authorization"] == f"Bearer {STRIPE_KEY}"
    assert sent["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    payment = Payment.get(Payment.order == order)
    assert sent["headers"]["Idempotency-Key"] == f"rollcall-{payment.reference}"
    form = dict(parse_qsl(sent["body"].decode()))
    assert form["mode"] == "payment"
    assert form["client_reference_id"] == payment.reference
    assert form["metadata[payment_reference]"] == payment.reference
    assert form["metadata[order_code]"] == order.code
    assert form["success_url"] == f"http://rollcall.test/pay/{order.secret}/return"
    assert form["cancel_url"] == f"http://rollcall.test/o/{order.secret}"
    assert form["customer_email"] == order.buyer_email
    assert form["line_items[0][price_data][currency]"] == "idr"
    assert form["line_items[0][price_data][unit_amount]"] == "15000000"  # Stripe counts IDR in cents
    assert form["line_items[0][quantity]"] == "1"
    assert order.code in form["line_items[0][price_data][product_data][name]"]
    assert url == payment.redirect_url and payment.external_id.startswith("cs_test_")


def test_stripe_minor_units_differ_from_ours_where_stripe_says_so():
    assert to_stripe_amount(150000, "IDR") == 15000000
    assert to_stripe_amount(1250, "USD") == 1250
    assert to_stripe_amount(5000, "JPY") == 5000
    assert from_stripe_amount(15000000, "IDR") == 150000
    assert from_stripe_amount(15000050, "IDR") is None  # not a whole rupiah: never a silent rounding


def test_a_completed_paid_session_marks_the_order_paid(client, org, order, stripe):
    payment = start(order)
    assert completed(client, org, stripe, payment).status_code == 200
    assert reload(order).status == "paid"
    payment = reload(payment)
    assert payment.state == "paid" and payment.external_payment_id.startswith("pi_")
    assert PaymentNotification.get().outcome == "paid"


def test_a_duplicate_webhook_changes_nothing(client, org, order, stripe):
    payment = start(order)
    body = stripe_event("checkout.session.completed", stripe.complete(payment.external_id))
    assert webhook(client, org, body, stripe_signature(body, STRIPE_WEBHOOK_SECRET)).status_code == 200
    paid_at = reload(order).paid_at
    assert webhook(client, org, body, stripe_signature(body, STRIPE_WEBHOOK_SECRET)).status_code == 200
    assert reload(order).paid_at == paid_at
    assert [n.outcome for n in PaymentNotification.select().order_by(PaymentNotification.id)] == ["paid", "duplicate"]


def test_an_expired_signature_timestamp_is_rejected(client, org, order, stripe):
    payment = start(order)
    body = stripe_event("checkout.session.completed", stripe.complete(payment.external_id))
    old = stripe_signature(body, STRIPE_WEBHOOK_SECRET, timestamp=int(time.time()) - 301)
    response = webhook(client, org, body, old)
    assert response.status_code == 400
    assert reload(order).status == "pending"
    entry = PaymentNotification.get()
    assert entry.outcome == "rejected" and "tolerance" in entry.error


def test_a_wrong_secret_or_a_tampered_body_is_rejected(client, org, order, stripe):
    payment = start(order)
    body = stripe_event("checkout.session.completed", stripe.complete(payment.external_id))
    assert webhook(client, org, body, stripe_signature(body, "whsec_notOurs")).status_code == 401
    tampered = body.replace(b'"paid"', b'"paid" ')
    assert webhook(client, org, tampered, stripe_signature(body, STRIPE_WEBHOOK_SECRET)).status_code == 401
    assert webhook(client, org, body, "").status_code == 400
    assert reload(order).status == "pending"
    assert PaymentNotification.select().where(PaymentNotification.outcome == "rejected").count() == 3


def test_several_v1_signatures_during_secret_rotation_are_accepted(client, org, order, stripe):
    payment = start(order)
    body = stripe_event("checkout.session.completed", stripe.complete(payment.external_id))
    # Stripe signs with the old and the new secret while both are live; we know only the new one.
    header = stripe_signature(body, "whsec_theOldSecretStripeStillUses", STRIPE_WEBHOOK_SECRET)
    assert webhook(client, org, body, header).status_code == 200
    assert reload(order).status == "paid"


def test_the_previous_secret_is_accepted_while_the_new_one_is_rolled_out(client, org, stripe):
    configure_gateway(
        org, "stripe", webhook_secret="whsec_brandNewSecret000000", previous_webhook_secret=STRIPE_WEBHOOK_SECRET
    )
    order = make_pending_order(org)
    payment = start(order)
    assert completed(client, org, stripe, payment).status_code == 200  # signed with the previous one
    assert reload(order).status == "paid"


def test_an_asynchronous_payment_waits_for_its_result(client, org, stripe):
    configure_gateway(org, "stripe")
    paid_later, failed_later = make_pending_order(org), make_pending_order(org)
    for order in (paid_later, failed_later):
        payment = start(order)
        assert completed(client, org, stripe, payment, paid=False).status_code == 200
        assert reload(order).status == "pending" and reload(payment).state == "pending"

    for order, kind in ((paid_later, "succeeded"), (failed_later, "failed")):
        payment = Payment.get(Payment.order == order)
        session = stripe.complete(payment.external_id, paid=kind == "succeeded")
        body = stripe_event(f"checkout.session.async_payment_{kind}", session)
        assert webhook(client, org, body, stripe_signature(body, STRIPE_WEBHOOK_SECRET)).status_code == 200

    assert reload(paid_later).status == "paid"
    assert reload(failed_later).status == "pending"
    assert Payment.get(Payment.order == failed_later).state == "failed"


def test_an_amount_or_currency_mismatch_is_flagged_not_paid(client, org, stripe):
    configure_gateway(org, "stripe")
    cheaper, other_currency = make_pending_order(org), make_pending_order(org)
    payment = start(cheaper)
    completed(client, org, stripe, payment, amount_total=100)
    payment2 = start(other_currency)
    stripe.sessions[payment2.external_id]["currency"] = "usd"
    completed(client, org, stripe, payment2)

    for order, payment in ((cheaper, payment), (other_currency, payment2)):
        assert reload(order).status == "pending" and reload(order).flag
        assert reload(payment).flag.startswith("Amount mismatch")


def test_a_full_refund_revokes_and_a_partial_one_is_flagged(client, org, stripe):
    configure_gateway(org, "stripe")
    full, partial = make_pending_order(org), make_pending_order(org)
    for order, refunded in ((full, 15000000), (partial, 5000000)):
        payment = start(order)
        completed(client, org, stripe, payment)
        payment = reload(payment)
        charge = {
            "id": "ch_1",
            "object": "charge",
            "payment_intent": payment.external_payment_id,
            "amount": 15000000,
            "amount_refunded": refunded,
            "refunded": refunded == 15000000,
            "currency": "idr",
            "metadata": {},
        }
        body = stripe_event("charge.refunded", charge)
        assert webhook(client, org, body, stripe_signature(body, STRIPE_WEBHOOK_SECRET)).status_code == 200

    assert reload(full).status != "paid" and Payment.get(Payment.order == full).state == "refunded"
    kept = Payment.get(Payment.order == partial)
    assert reload(partial).status == "paid" and kept.state == "paid"
    assert kept.refunded_amount == 50000 and "Partially refunded" in kept.flag


def test_other_event_types_are_acknowledged_and_ignored(client, org, order, stripe):
    body = stripe_event("customer.created", {"id": "cus_1"})
    assert webhook(client, org, body, stripe_signature(body, STRIPE_WEBHOOK_SECRET)).status_code == 200
    assert PaymentNotification.get().outcome == "ignored"


def test_refresh_status_reads_the_session(order, stripe):
    payment = start(order)
    assert service.refresh_status(payment) == "duplicate"  # still open: nothing changes
    stripe.complete(payment.external_id)
    assert service.refresh_status(payment) == "paid"
    assert reload(order).status == "paid"
