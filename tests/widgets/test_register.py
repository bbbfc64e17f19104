"""Registering through the widget: with CSRF protection on and no session cookie at all (a framed
page on another site gets none), the signed token in the form stands for it; coupons, questions
and paid tickets work as on the event page; a paid ticket is paid in a new tab."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

import pytest

from tests.factories.catalog import make_coupon, make_product, make_question
from tests.factories.payments import configure_gateway
from tests.widgets.helpers import SITE, hidden, register_path, widget_event
from webapp.orders.models import Order, Registrant


@pytest.fixture
def client(csrf_app):
    return csrf_app.test_client(use_cookies=False)  # as a browser that blocks third-party cookies


def _form(html: str, product, **fields) -> dict:
    data = {
        "checkout_token": hidden(html, "checkout_token"),
        "widget_token": hidden(html, "widget_token"),
        f"qty-{product.id}": "1",
        "buyer_name": "Sari Putri",
        "buyer_email": "sari@example.org",
    }
    data.update(fields)
    return data


def test_a_free_registration_through_the_widget_lands_in_the_registrant_list(client):
    org, event = widget_event()
    product = make_product(event, price=0)
    html = client.get(register_path(event) + f"?parent={SITE}").get_data(as_text=True)

    response = client.post(register_path(event) + f"?parent={SITE}", data=_form(html, product))

    assert response.status_code == 303
    order = Order.get()
    assert response.headers["Location"] == f"/widget/o/{order.secret}?parent=https://www.example.org"
    assert "Set-Cookie" not in response.headers
    assert order.status == "paid" and order.buyer_email == "sari@example.org"
    registrant = Registrant.get()
    assert (registrant.name, registrant.event_id, registrant.contact_id is not None) == ("Sari Putri", event.id, True)
    page = client.get(response.headers["Location"])
    assert "You're registered" in page.get_data(as_text=True)
    assert "Sari Putri" in page.get_data(as_text=True)
    assert page.headers["Content-Security-Policy"].endswith(f"frame-ancestors {SITE}")


def test_a_form_without_its_signed_token_is_refused(client):
    org, event = widget_event()
    product = make_product(event, price=0)
    html = client.get(register_path(event)).get_data(as_text=True)
    for token in ("", "forged", hidden(html, "widget_token") + "x"):
        response = client.post(register_path(event), data=_form(html, product, widget_token=token))
        assert response.status_code == 422
        assert "The form expired" in response.get_data(as_text=True)
    assert Order.select().count() == 0


def test_a_signed_token_is_good_for_its_own_checkout_token_only(client):
    org, event = widget_event()
    product = make_product(event, price=0)
    html = client.get(register_path(event)).get_data(as_text=True)
    data = _form(html, product, checkout_token=secrets.token_urlsafe(24))
    assert client.post(register_path(event), data=data).status_code == 422
    assert Order.select().count() == 0


def test_the_same_form_sent_twice_makes_one_order(client):
    org, event = widget_event()
    product = make_product(event, price=0)
    html = client.get(register_path(event)).get_data(as_text=True)
    first = client.post(register_path(event), data=_form(html, product))
    second = client.post(register_path(event), data=_form(html, product))
    assert first.headers["Location"] == second.headers["Location"]
    assert Order.select().count() == 1


def test_a_coupon_and_a_required_question_work_in_the_widget(client):
    org, event = widget_event()
    product = make_product(event, price=100000)
    make_coupon(event, code="FRIEND", kind="percent", value=100)
    question = make_question(event, label="Company", required=True)
    html = client.get(register_path(event)).get_data(as_text=True)
    assert "Company" in html

    refused = client.post(register_path(event), data=_form(html, product, coupon="friend"))
    assert refused.status_code == 422
    assert 'aria-invalid="true"' in refused.get_data(as_text=True)  # beside the question

    html = refused.get_data(as_text=True)
    response = client.post(
        register_path(event), data=_form(html, product, coupon="friend", **{f"q{question.id}": "Acme"})
    )
    assert response.status_code == 303
    order = Order.get()
    assert (order.status, order.total, order.discount) == ("paid", 0, 100000)
    assert order.answers == {str(question.id): "Acme"}


def test_the_live_price_answers_without_a_session(client):
    org, event = widget_event()
    product = make_product(event, price=100000)
    make_coupon(event, code="HALF", kind="percent", value=50)
    response = client.post(register_path(event) + "/preview", data={f"qty-{product.id}": "1", "coupon": "HALF"})
    assert response.status_code == 200
    assert "50,000" in response.get_data(as_text=True)


def test_a_paid_ticket_is_paid_in_a_new_tab_and_the_widget_shows_the_outcome(client):
    org, event = widget_event()
    configure_gateway(org, "test")
    product = make_product(event, price=150000)
    html = client.get(register_path(event)).get_data(as_text=True)

    response = client.post(register_path(event), data=_form(html, product, gateway="test"))

    order = Order.get()
    assert response.status_code == 303 and order.status == "pending"
    status = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'target="_blank"' in status and f'action="/widget/o/{order.secret}/pay"' in status
    assert 'hx-trigger="every 3s"' in status  # asks again until the payment is settled

    refused = client.post(f"/widget/o/{order.secret}/pay", data={"widget_token": "forged", "gateway": "test"})
    assert refused.status_code == 400
    pay = client.post(
        f"/widget/o/{order.secret}/pay", data={"widget_token": hidden(status, "widget_token"), "gateway": "test"}
    )
    assert pay.status_code == 303
    assert "/pay/test/" in pay.headers["Location"] or "test" in pay.headers["Location"]
    assert "frame-ancestors 'none'" in pay.headers["Content-Security-Policy"]  # a top-level tab

    Order.update(status="paid").where(Order.id == order.id).execute()
    settled = client.get(f"/widget/o/{order.secret}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "You're registered" in settled and "every 3s" not in settled


def test_bad_input_gets_a_message_beside_the_field_not_a_500(client):
    org, event = widget_event()
    product = make_product(event, price=0)
    html = client.get(register_path(event)).get_data(as_text=True)
    for fields in (
        {f"qty-{product.id}": "99999999999999999999"},
        {"buyer_email": "not an address"},
        {"buyer_name": "x" * 5000},
    ):
        response = client.post(register_path(event), data=_form(html, product, **fields))
        assert response.status_code == 422, fields
    assert client.post(register_path(event), data=_form(html, product, buyer_name="A\x00")).status_code == 400
    assert client.get("/widget/o/unknown").status_code == 404
    assert client.delete(register_path(event)).status_code == 405
    assert Order.select().count() == 0
    # A lone surrogate, as a browser sends it (bytes that are no UTF-8): kept quoted, stored as text.
    data = _form(html, product)
    data.pop("buyer_name")
    body = urlencode(data) + "&buyer_name=Sari%ED%A0%80"
    response = client.post(register_path(event), data=body.encode(), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 303
    assert Order.get().buyer_name.encode("utf-8").startswith(b"Sari")
