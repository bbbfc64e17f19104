"""The self check-in kiosk: off until an operator turns it on; by email or ticket code, by the
door's rules; answers "checked in" or "not found" and nothing more; limited per client."""

from __future__ import annotations

import pytest

from tests.factories.catalog import make_product
from tests.factories.orders import make_registrant
from tests.widgets.helpers import checkin_path, hidden, widget_event
from webapp.checkin.models import Checkin
from webapp.orders.models import Registrant
from webapp.widgets import service

CHECKED_IN = "Checked in. Welcome!"
NOT_FOUND = "Not found. Check what you typed, or ask the organizers."


@pytest.fixture
def client(csrf_app):
    return csrf_app.test_client(use_cookies=False)


@pytest.fixture
def kiosk():
    org, event = widget_event()
    service.set_self_checkin(event, True, actor=None)
    return event


def _send(client, event, who: str):
    token = hidden(client.get(checkin_path(event)).get_data(as_text=True), "widget_token")
    return client.post(checkin_path(event), data={"widget_token": token, "who": who})


def _answer(response) -> str:
    html = response.get_data(as_text=True)
    return CHECKED_IN if CHECKED_IN in html else NOT_FOUND if NOT_FOUND in html else html


def test_self_checkin_is_off_until_the_operator_turns_it_on(client):
    org, event = widget_event()
    registrant = make_registrant(event, make_product(event), buyer_email="ana@example.org")
    response = client.get(checkin_path(event))
    assert response.status_code == 404
    assert "Self check-in is not open" in response.get_data(as_text=True)
    assert client.post(checkin_path(event), data={"who": "ana@example.org"}).status_code == 404
    assert Registrant.get_by_id(registrant.id).checked_in_at is None


def test_an_attendee_checks_in_by_email_and_again_is_still_checked_in(client, kiosk):
    registrant = make_registrant(kiosk, make_product(kiosk), buyer_email="ana@example.org")
    assert _answer(_send(client, kiosk, " Ana@Example.org ")) == CHECKED_IN
    assert Registrant.get_by_id(registrant.id).checked_in_at is not None
    assert _answer(_send(client, kiosk, "ana@example.org")) == CHECKED_IN
    log = list(Checkin.select().order_by(Checkin.id))
    assert [(c.result, c.reason, c.gate) for c in log] == [
        ("ok", None, "self check-in"),
        ("error", "already_checked_in", "self check-in"),
    ]


def test_an_attendee_checks_in_by_ticket_code(client, kiosk):
    registrant = make_registrant(kiosk, make_product(kiosk))
    code = registrant.ticket_secret.lower()
    assert _answer(_send(client, kiosk, code[:13] + " " + code[13:])) == CHECKED_IN
    assert Registrant.get_by_id(registrant.id).checked_in_at is not None


def test_unknown_canceled_unpaid_and_other_events_all_answer_not_found(client, kiosk):
    product = make_product(kiosk)
    canceled = make_registrant(kiosk, product, buyer_email="canceled@example.org")
    Registrant.update(canceled=True).where(Registrant.id == canceled.id).execute()
    make_registrant(kiosk, product, buyer_email="unpaid@example.org", status="pending")
    other_org, other = widget_event()
    elsewhere = make_registrant(other, make_product(other), buyer_email="elsewhere@example.org")
    answers = [
        _send(client, kiosk, who)
        for who in ("nobody@example.org", "canceled@example.org", "unpaid@example.org", "elsewhere@example.org",
                    elsewhere.ticket_secret, "not-a-code")
    ]  # fmt: skip
    assert {_answer(a) for a in answers} == {NOT_FOUND}
    assert {a.status_code for a in answers} == {200}
    bodies = {a.get_data(as_text=True).split('name="widget_token" value="')[0] for a in answers}
    assert len(bodies) == 1  # nothing else on the page differs
    assert Registrant.select().where(Registrant.checked_in_at.is_null(False)).count() == 0


def test_bad_input_answers_clearly(client, kiosk):
    assert "Enter your email address or ticket code." in _send(client, kiosk, "  ").get_data(as_text=True)
    assert _send(client, kiosk, "  ").status_code == 422
    assert _answer(_send(client, kiosk, "x" * 100000)) == NOT_FOUND
    assert _answer(_send(client, kiosk, "a\tb@example.org")) == NOT_FOUND
    assert _send(client, kiosk, "a\x00b").status_code == 400
    expired = client.post(checkin_path(kiosk), data={"widget_token": "forged", "who": "ana@example.org"})
    assert expired.status_code == 422 and "The form expired" in expired.get_data(as_text=True)
    assert client.put(checkin_path(kiosk)).status_code == 405


def test_attempts_are_limited_per_client(client, kiosk):
    registrant = make_registrant(kiosk, make_product(kiosk), buyer_email="ana@example.org")
    for n in range(10):
        assert _answer(_send(client, kiosk, f"guess{n}@example.org")) == NOT_FOUND
    limited = _send(client, kiosk, "ana@example.org")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert "Too many attempts" in limited.get_data(as_text=True)
    assert Registrant.get_by_id(registrant.id).checked_in_at is None
    other = client.post(
        checkin_path(kiosk), data={"widget_token": service.form_token("checkin", kiosk.id), "who": "ana@example.org"},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )  # fmt: skip
    assert _answer(other) == CHECKED_IN


def test_the_kiosk_speaks_the_events_language(client):
    org, event = widget_event(languages=["id", "en"])
    service.set_self_checkin(event, True, actor=None)
    html = client.get(checkin_path(event)).get_data(as_text=True)
    assert "Email atau kode tiket" in html and 'lang="id"' in html
