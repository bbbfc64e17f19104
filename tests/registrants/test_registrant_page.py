"""A registrant's page: details, edit, cancel, refund marker, move, ticket, emails; adding by hand."""

from __future__ import annotations

from tests.factories.catalog import make_question
from tests.factories.orders import make_registrant
from webapp.accounts.audit import AuditEntry
from webapp.accounts.models import User
from webapp.mail.models import Outbox
from webapp.orders.models import Order, Registrant


def page_url(desk, r, suffix=""):
    return f"/console/events/{desk.event.id}/registrants/{r.id}{suffix}"


def test_page_shows_answers_order_and_emails(desk):
    question = make_question(desk.event, label="Company", per_attendee=True)
    r = make_registrant(desk.event, attendees=[{"name": "Ana", "email": "ana@example.org",
                                                "answers": {str(question.id): "Acme"}}])  # fmt: skip
    page = desk.client.get(page_url(desk, r)).text
    assert "Ana" in page and "Acme" in page and r.order.code in page
    assert "Resend ticket" in page and "Ticket PDF" in page
    assert "No email sent to this registrant yet" in page


def test_edit_changes_the_registrant_and_records_who_did_it(desk):
    r = make_registrant(desk.event, buyer_name="Ana", buyer_email="ana@example.org")
    response = desk.client.post(page_url(desk, r, "/edit"), data={"name": "Ana Maria", "email": "ana@example.org"})
    assert response.status_code == 303
    assert Registrant.get_by_id(r.id).name == "Ana Maria"
    entry = AuditEntry.get(AuditEntry.action == "registrant.update")
    assert entry.user_id == desk.owner.id and entry.changes["name"] == ["Ana", "Ana Maria"]
    audit_page = desk.client.get("/console/audit").text
    assert "registrant.update" in audit_page and "Ana Maria" in audit_page and desk.owner.email in audit_page


def test_invalid_edit_keeps_the_input_and_shows_the_error_beside_the_field(desk):
    r = make_registrant(desk.event, buyer_name="Ana")
    response = desk.client.post(page_url(desk, r, "/edit"), data={"name": "Ana Typo", "email": "not-an-email"})
    assert response.status_code == 422
    assert 'value="Ana Typo"' in response.text and 'id="email-error"' in response.text
    assert Registrant.get_by_id(r.id).name == "Ana"


def test_cancel_refund_and_move(desk):
    r = make_registrant(desk.event, buyer_name="Ana")
    assert desk.client.post(page_url(desk, r, "/move"), data={"product": str(desk.vip.id)}).status_code == 303
    assert Registrant.get_by_id(r.id).product_id == desk.vip.id
    desk.client.post(page_url(desk, r, "/refund"))
    assert Order.get_by_id(r.order_id).refunded_at is not None
    desk.client.post(page_url(desk, r, "/cancel"))
    assert Registrant.get_by_id(r.id).canceled


def test_move_to_a_full_ticket_type_is_refused_beside_the_field(desk):
    for _ in range(3):
        make_registrant(desk.event, desk.vip)
    r = make_registrant(desk.event, buyer_name="Ana")
    response = desk.client.post(page_url(desk, r, "/move"), data={"product": str(desk.vip.id)})
    assert response.status_code == 422 and "no seat left" in response.text
    assert Registrant.get_by_id(r.id).product_id == desk.product.id


def test_resend_ticket_queues_the_email_and_lists_it(desk):
    r = make_registrant(desk.event, buyer_name="Ana")
    assert desk.client.post(page_url(desk, r, "/resend")).status_code == 303
    assert Outbox.select().where(Outbox.registrant_id == r.id).count() == 1
    page = desk.client.get(page_url(desk, r)).text
    assert "No email sent" not in page


def test_ticket_pdf_download(desk):
    r = make_registrant(desk.event, buyer_name="Ana")
    response = desk.client.get(page_url(desk, r, "/ticket.pdf"))
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_add_participant_without_sending_the_ticket(desk):
    response = desk.client.post(
        f"/console/events/{desk.event.id}/participants/new",
        data={"name": "Walk In", "email": "walk@example.org", "product": str(desk.product.id), "paid": "y"},
    )
    assert response.status_code == 303
    r = Registrant.get(Registrant.email == "walk@example.org")
    assert r.order.source == "console" and r.order.status == "paid"
    assert not Outbox.select().where(Outbox.registrant_id == r.id).exists()


def test_add_participant_with_a_bad_email_keeps_the_input(desk):
    response = desk.client.post(
        f"/console/events/{desk.event.id}/participants/new",
        data={"name": "Walk In", "email": "nope", "product": str(desk.product.id)},
    )
    assert response.status_code == 422
    assert 'value="Walk In"' in response.text and 'id="email-error"' in response.text
    assert Registrant.select().count() == 0


def test_add_participant_errors_are_in_the_operators_language(desk):
    User.update(language="id").where(User.id == desk.owner.id).execute()
    response = desk.client.post(f"/console/events/{desk.event.id}/participants/new", data={"name": "", "email": ""})
    assert response.status_code == 422
    assert "Masukkan nama peserta." in response.text and "Masukkan alamat email." in response.text
    assert "Pilih jenis tiket." in response.text
    assert Registrant.select().count() == 0


def test_add_participant_beyond_capacity_is_refused(desk):
    for _ in range(3):
        make_registrant(desk.event, desk.vip)
    response = desk.client.post(
        f"/console/events/{desk.event.id}/participants/new",
        data={"name": "Late", "email": "late@example.org", "product": str(desk.vip.id), "paid": "y"},
    )
    assert response.status_code == 422 and "seats" in response.text


def test_edit_can_clear_an_answer(desk):
    question = make_question(desk.event, label="Company", per_attendee=True)
    r = make_registrant(desk.event, attendees=[{"name": "Ana", "email": "ana@example.org",
                                                "answers": {str(question.id): "Acme", "999": "old"}}])  # fmt: skip
    desk.client.post(
        page_url(desk, r, "/edit"), data={"name": "Ana", "email": "ana@example.org", f"a-q{question.id}": ""}
    )
    assert Registrant.get_by_id(r.id).answers == {"999": "old"}
