"""The buyer of an order placed for bank transfer gets the payment instructions by email."""

from __future__ import annotations

import datetime as dt
import re

from tests.factories.accounts import make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.payments import configure_bank, configure_gateway
from tests.orders.helpers import form, register_url
from webapp.mail import tracking
from webapp.mail.models import Outbox
from webapp.orders.models import Order


def _shop(currency: str = "IDR", price: int = 250000):
    org = make_org("Komunitas Python", currency=currency)
    configure_bank(org, account_number="0987-6543-21", instructions="Transfers are checked every weekday.")
    configure_gateway(org, "bank")
    event = make_event(org, name="PyCon Jakarta", timezone="Asia/Jakarta", currency=currency, status="published")
    event.languages = ["en", "id"]
    event.save()
    return event, make_product(event, name="Regular", price=price, currency=currency)


def _text(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def test_bank_transfer_buyer_gets_the_payment_instructions_by_email(mail_app):
    app, inbox = mail_app
    event, ticket = _shop()
    data = form({ticket: 2}, gateway="bank", **{"a1-name": "Budi Santoso", "a1-email": "budi@example.org"})
    response = app.test_client().post(register_url(event), data=data)
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    order = Order.get(Order.event == event.id)
    assert order.gateway == "bank" and order.status == "pending"

    (message,) = [m for m in inbox.wait_for(1) if order.code in m["Subject"]]
    assert message["To"] == "Ana Putri <ana@example.org>"
    assert message["Subject"] == f"Payment instructions for your order {order.code}: PyCon Jakarta"
    text = _text(message)
    assert "Bank Central Asia" in text and "PT Rollcall Events" in text and "0987654321" in text
    assert "Amount: IDR500,000" in text  # two tickets, in the order's currency
    assert f"Reference: {order.code}" in text
    deadline = (order.expires_at.replace(tzinfo=dt.UTC) + dt.timedelta(hours=7)).strftime("%H:%M")
    assert deadline in text and "(Asia/Jakarta)" in text  # the deadline in the event's time zone
    assert f"http://rollcall.test/o/{order.secret}" in text
    assert "Transfers are checked every weekday." in text
    html = message.get_body(("html",)).get_content()
    assert "0987654321" in html and order.code in html
    # the order link goes through the click redirect (the buyer is a contact of the organizer)
    links = {tracking.click_target(token)[1] for token in re.findall(r'href="http://rollcall\.test/m/c/([^"]+)"', html)}
    assert f"http://rollcall.test/o/{order.secret}" in links


def test_bank_transfer_instructions_come_in_indonesian_for_an_indonesian_order(mail_app):
    app, inbox = mail_app
    event, ticket = _shop()
    client = app.test_client()
    client.post(register_url(event), data=form({ticket: 1}, gateway="bank"), headers={"Accept-Language": "id"})
    order = Order.get(Order.event == event.id)
    assert order.locale == "id"

    (message,) = inbox.wait_for(1)
    assert message["Subject"] == f"Instruksi pembayaran untuk pesanan Anda {order.code}: PyCon Jakarta"
    text = _text(message)
    assert "Nomor rekening: 0987654321" in text and f"Berita transfer: {order.code}" in text
    assert "Bayar sebelum" in text


def test_the_instructions_are_sent_once_and_not_for_other_payment_methods(app):
    from webapp.mail import notify

    event, ticket = _shop()
    configure_gateway(event.organization, "test")
    client = app.test_client()
    client.post(register_url(event), data=form({ticket: 1}, gateway="test"))
    client.post(register_url(event), data=form({ticket: 1}, gateway="bank", buyer_email="budi@example.org"))
    bank_order = Order.get(Order.gateway == "bank")
    assert notify.bank_transfer_placed(bank_order.id) is False  # a replayed signal sends nothing more
    sent = Outbox.select().where(Outbox.kind == "bank_transfer")
    assert [(m.order_id, m.to_email) for m in sent] == [(bank_order.id, "budi@example.org")]
