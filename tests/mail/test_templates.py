"""Per-event email templates: sandboxed, checked on save, previewed live, used when sending."""

from __future__ import annotations

import pytest

from tests.factories.accounts import make_member
from tests.factories.tickets import make_paid_order
from webapp import signals
from webapp.mail import content, defaults, sandbox
from webapp.mail.models import EmailTemplate

VALID = {
    "subject": "{{ attendee.first_name }}, your seat at {{ event.name|upper }}",
    "html_body": "<p>Hi {{ attendee.name }}!</p><script>alert(1)</script>",
    "text_body": "Hi {{ attendee.name }}! Order {{ order.code }}. {% if event.venue %}At {{ event.venue }}.{% endif %}",
}


@pytest.fixture
def setup(app, auth):
    order = make_paid_order(["Ana Putri"])
    manager = make_member(order.organization, "manager")
    client = auth.client_for(manager, order.organization)
    return order, manager, client


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ attendee.__class__ }}",
        "{{ attendee.items() }}",
        "{{ attendee|attr('items') }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ config }}",
        "{{ request }}",
        "{{ attendee.password }}",
        "{{ range(10) }}",
        "{% if %}",
        "{{ attendee.name",
        "{{ 'x' * 100000000 }}",
        "{{ 9 ** 999999 }}",
        "{{ attendee[event.name] }}",
    ],
)
def test_sandbox_rejects_reaching_outside_the_placeholders(source):
    assert sandbox.check("text_body", source, sandbox.sample_values())


def test_sandbox_refuses_attributes_even_at_render_time():
    """Defence in depth: a template that slipped past the check still cannot reach Python."""
    from jinja2.exceptions import SecurityError, UndefinedError

    with pytest.raises((SecurityError, UndefinedError)):
        sandbox.render({"subject": "x", "html_body": "x", "text_body": "{{ attendee.name.__class__ }}"},
                       sandbox.sample_values())  # fmt: skip


def test_valid_template_renders_escaped_and_cleaned():
    values = sandbox.sample_values()
    values["attendee"]["name"] = "<b>Ana</b>"
    out = sandbox.render(VALID, values)
    assert out["subject"] == "Ana, your seat at SAMPLE EVENT"
    assert "&lt;b&gt;Ana&lt;/b&gt;" in out["html_body"] and "<script" not in out["html_body"]
    assert "Hi <b>Ana</b>! Order K7QW9P. At Main Hall." in out["text_body"]


def test_links_keep_their_address_and_unsafe_ones_lose_it():
    html = sandbox.clean_html(
        '<p><a href="https://example.org/o/x">Your order</a> <a href="mailto:hi@example.org">Write</a> '
        '<a href="javascript:alert(1)">x</a> <img src="https://example.org/logo.png" alt="Logo" onerror="x()"></p>'
    )
    assert 'href="https://example.org/o/x"' in html and 'href="mailto:hi@example.org"' in html
    assert "javascript:" not in html and "onerror" not in html
    assert 'src="https://example.org/logo.png"' in html and 'alt="Logo"' in html
    ticket = sandbox.render(defaults.default_for("ticket", "en"), sandbox.sample_values())
    assert 'href="https://example.org/o/x/tickets/1.pdf"' in ticket["html_body"]


def test_saved_template_is_used_for_the_next_email(mail_app):
    from tests.conftest import Auth

    app, inbox = mail_app
    order = make_paid_order(["Ana Putri"])
    manager = make_member(order.organization, "manager")
    client = Auth(app).client_for(manager, order.organization)

    response = client.post(f"/console/events/{order.event_id}/emails/ticket/en", data=VALID)
    assert response.status_code == 303

    signals.emit(signals.order_paid, order_id=order.id)
    (msg,) = inbox.wait_for(1)
    assert msg["Subject"] == "Ana, your seat at JAKARTA TECH SUMMIT"
    assert f"Order {order.code}. At Balai Kartini." in msg.get_body(("plain",)).get_content()
    assert len(list(msg.iter_attachments())) == 1  # still carries the ticket


def test_broken_template_is_rejected_with_the_error_beside_the_field(setup):
    order, manager, client = setup
    url = f"/console/events/{order.event_id}/emails/ticket/en"
    data = dict(VALID, html_body="<p>{{ ''.__class__ }}</p>", text_body="{% for x in %}", subject="{{ attendee.nope }}")

    response = client.post(url, data=data)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="html_body-error"' in page and "only the listed placeholders can be used" in page
    assert 'id="text_body-error"' in page
    assert 'id="subject-error"' in page and "attendee.nope" in page
    assert EmailTemplate.select().count() == 0


def test_oversized_subject_and_body_are_refused_beside_the_fields(setup):
    order, manager, client = setup
    url = f"/console/events/{order.event_id}/emails/ticket/en"
    data = dict(VALID, subject="S" * 201, html_body="<p>" + "x" * 300_000 + "</p>", text_body="é" * 140_000)

    response = client.post(url, data=data)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="subject-error"' in page and "at most 200 characters" in page
    assert 'id="html_body-error"' in page and 'id="text_body-error"' in page and "256 KB" in page
    assert EmailTemplate.select().count() == 0
    fits = dict(VALID, subject="S" * 200, text_body="x" * 256 * 1024)
    assert client.post(url, data=fits).status_code == 303


def test_service_refuses_to_save_a_broken_template(setup):
    order, manager, _ = setup
    with pytest.raises(content.TemplateInvalid) as caught:
        content.save_template(
            order.event, "payment", "id", subject="ok", html_body="{{ x }}", text_body="", actor=manager
        )
    assert set(caught.value.errors) == {"html_body", "text_body"}


def test_live_preview_shows_the_rendered_email_or_the_errors(setup):
    order, manager, client = setup
    url = f"/console/events/{order.event_id}/emails/ticket/en/preview"

    good = client.post(url, data=VALID, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Ana, your seat at JAKARTA TECH SUMMIT" in good
    assert "srcdoc=" in good and "<script" not in good.split("srcdoc=")[1].split('"')[1]

    bad = client.post(url, data=dict(VALID, subject="{{ ''.__class__ }}")).get_data(as_text=True)
    assert "cannot be used yet" in bad


def test_reset_returns_to_the_default(setup):
    order, manager, client = setup
    url = f"/console/events/{order.event_id}/emails/ticket/id"
    client.post(url, data=VALID)
    assert content.stored_template(order.event, "ticket", "id") is not None
    assert client.post(f"{url}/reset").status_code == 303
    assert content.template_parts(order.event, "ticket", "id")["subject"] == "Tiket Anda untuk {{ event.name }}"


def test_templates_of_another_organizations_event_are_not_found(setup, auth):
    from tests.factories.accounts import make_org

    order, _, _ = setup
    other_org = make_org()
    stranger = auth.client_for(make_member(other_org, "manager"), other_org)
    assert stranger.get(f"/console/events/{order.event_id}/emails").status_code == 404
    assert stranger.post(f"/console/events/{order.event_id}/emails/ticket/en", data=VALID).status_code == 404


def test_unknown_slot_or_language_is_not_found(setup):
    order, _, client = setup
    assert client.get(f"/console/events/{order.event_id}/emails/birthday/en").status_code == 404
    assert client.get(f"/console/events/{order.event_id}/emails/ticket/fr").status_code == 404
    assert client.get(f"/console/events/{order.event_id}/emails/automation:999/en").status_code == 404


def test_event_email_settings_page(setup):
    order, _, client = setup
    url = f"/console/events/{order.event_id}/emails"
    assert client.get(url).status_code == 200
    assert client.post(url, data={"sender_email": "not an email"}).status_code == 422
    response = client.post(
        url, data={"sender_name": "JTS", "sender_email": "tix@jts.example", "send_payment_email": "y"}
    )
    assert response.status_code == 303
    settings = content.mail_settings(order.event)
    assert (settings.sender_name, settings.sender_email, settings.send_checkin_email) == (
        "JTS",
        "tix@jts.example",
        False,
    )
    assert "not a verified sending domain" in client.get(url).get_data(as_text=True)


def test_an_automation_slot_no_row_can_have_is_not_found(setup):
    order, _, client = setup
    for pk in (str(10**30), "9" * 5000):
        assert client.get(f"/console/events/{order.event_id}/emails/automation:{pk}/en").status_code == 404
