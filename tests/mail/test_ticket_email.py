"""The emails an order sets off: ticket (PDF attached), payment confirmation, check-in."""

from __future__ import annotations

from tests.factories.accounts import make_member
from tests.factories.tickets import decode_qr, make_paid_order, pdf_pages, pdf_text
from webapp import signals
from webapp.mail import notify, service
from webapp.mail.models import EventMailSettings, Outbox
from webapp.orders.models import Registrant


def _pdf(msg) -> bytes:
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    return attachment.get_content()


def test_paid_order_sends_each_attendee_their_ticket(mail_app):
    app, inbox = mail_app
    order = make_paid_order(["Ana Putri", "Budi Santoso"])
    ana, budi = order.registrants.order_by(Registrant.id)

    signals.emit(signals.order_paid, order_id=order.id)

    messages = inbox.wait_for(2)
    assert sorted(m["To"] for m in messages) == ["Ana Putri <ana@example.org>", "Budi Santoso <budi@example.org>"]
    msg = inbox.to("ana@example.org")[0]
    assert msg["Subject"] == "Your ticket for Jakarta Tech Summit"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Hello Ana," in text and f"http://rollcall.test/o/{order.secret}" in text
    assert f"/tickets/{order.secret}/{ana.id}.pdf" in text
    assert "Balai Kartini" in html and order.code in html
    assert decode_qr(pdf_pages(_pdf(msg))[0]) == [ana.ticket_secret]
    assert decode_qr(pdf_pages(_pdf(inbox.to("budi@example.org")[0]))[0]) == [budi.ticket_secret]
    assert {row.registrant_id for row in Outbox.select().where(Outbox.kind == "ticket")} == {ana.id, budi.id}


def test_free_order_gets_no_payment_email(mail_app):
    app, inbox = mail_app
    order = make_paid_order(["Ana Putri"], price=0)
    signals.emit(signals.order_paid, order_id=order.id)
    assert [m["Subject"] for m in inbox.wait_for(1)] == ["Your ticket for Jakarta Tech Summit"]


def test_paid_order_also_confirms_the_payment_to_the_buyer(mail_app):
    app, inbox = mail_app
    order = make_paid_order(["Ana Putri"], price=150000, buyer_email="boss@example.org", buyer_name="Ibu Sari")
    signals.emit(signals.order_paid, order_id=order.id)

    inbox.wait_for(2)
    (receipt,) = inbox.to("boss@example.org")
    assert receipt["Subject"] == f"Payment received: Jakarta Tech Summit ({order.code})"
    body = receipt.get_body(("plain",)).get_content()
    assert "Hello Ibu Sari" in body
    assert "150.000" in body or "150,000" in body


def test_replayed_paid_signal_does_not_send_twice(mail_app):
    app, inbox = mail_app
    order = make_paid_order(["Ana Putri"])
    signals.emit(signals.order_paid, order_id=order.id)
    signals.emit(signals.order_paid, order_id=order.id)
    assert len(inbox.wait_for(2, timeout=1)) == 1


def test_indonesian_order_gets_indonesian_email_and_ticket(mail_app):
    app, inbox = mail_app
    order = make_paid_order(["Ana Putri"], locale="id")
    signals.emit(signals.order_paid, order_id=order.id)
    (msg,) = inbox.wait_for(1)
    assert msg["Subject"] == "Tiket Anda untuk Jakarta Tech Summit"
    assert "Halo Ana" in msg.get_body(("plain",)).get_content()
    assert any(day in pdf_text(_pdf(msg)) for day in ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"))


def test_ticket_attached_is_the_current_one(mail_app):
    """A renamed attendee's resend carries the new name."""
    app, inbox = mail_app
    order = make_paid_order(["Ana Putri"])
    registrant = order.registrants.get()
    registrant.name = "Ana Wijaya"
    registrant.save()
    manager = make_member(order.organization, "manager")

    notify.resend_ticket(registrant, actor=manager)

    (msg,) = inbox.wait_for(1)
    assert "Ana Wijaya" in pdf_text(_pdf(msg))


def test_registrant_page_lists_emails_and_resends(mail_app):
    app, inbox = mail_app
    order = make_paid_order(["Ana Putri"])
    registrant = order.registrants.get()
    signals.emit(signals.order_paid, order_id=order.id)
    inbox.wait_for(1)

    (row,) = service.emails_for_registrant(registrant)
    assert row.kind == "ticket" and row.state == "sent"

    manager = make_member(order.organization, "manager")
    copy = service.resend(row, actor=manager)

    assert copy.id != row.id and copy.message_id != row.message_id
    assert len(inbox.wait_for(2)) == 2
    assert [r.id for r in service.emails_for_registrant(registrant)] == [copy.id, row.id]


def test_unpaid_registrant_gets_no_ticket(mail_app):
    app, inbox = mail_app
    order = make_paid_order(["Ana Putri"], status="pending")
    assert notify.send_ticket_email(order) == []
    assert notify.send_ticket_email(order.registrants.get()) == []


def test_checkin_confirmation_only_when_enabled(mail_app):
    from webapp.checkin.models import Checkin, CheckinList

    app, inbox = mail_app
    order = make_paid_order(["Ana Putri"])
    registrant = order.registrants.get()
    checkin_list = CheckinList.create(organization=order.organization_id, event=order.event, name="Main")

    def scan():
        checkin = Checkin.create(
            organization=order.organization_id,
            event=order.event,
            checkin_list=checkin_list,
            registrant=registrant,
            result="ok",
            gate="North door",
        )
        signals.emit(signals.checked_in, checkin_id=checkin.id)

    scan()
    assert inbox.messages == []

    EventMailSettings.create(organization=order.organization_id, event=order.event, send_checkin_email=True)
    scan()
    scan()  # a re-entry does not send it again
    (msg,) = inbox.wait_for(2, timeout=1)
    assert msg["Subject"] == "Welcome to Jakarta Tech Summit"
    assert "North door" in msg.get_body(("plain",)).get_content()


def test_participants_added_without_email_get_none(mail_app):
    app, inbox = mail_app
    order = make_paid_order(["Ana Putri"], price=100000, send_ticket=False)
    signals.emit(signals.order_paid, order_id=order.id)
    assert inbox.wait_for(1, timeout=0.5) == []
    assert Outbox.select().count() == 0


def test_tickets_wait_for_approval(mail_app):
    app, inbox = mail_app
    order = make_paid_order(["Ana Putri"], approval="pending")
    signals.emit(signals.order_paid, order_id=order.id)
    assert Outbox.select().count() == 0

    order.approval = "approved"
    order.save()
    signals.emit(signals.order_approved, order_id=order.id)
    subjects = sorted(m["Subject"] for m in inbox.wait_for(2))
    assert subjects == ["You're in: Jakarta Tech Summit", "Your ticket for Jakarta Tech Summit"]


def test_buyer_of_a_free_order_for_others_hears_about_it(mail_app):
    app, inbox = mail_app
    order = make_paid_order(["Ana Putri", "Budi Santoso"], buyer_email="lead@example.org", buyer_name="Ibu Sari")
    signals.emit(signals.order_paid, order_id=order.id)
    inbox.wait_for(3)
    (notice,) = inbox.to("lead@example.org")
    assert notice["Subject"] == f"Registration confirmed: Jakarta Tech Summit ({order.code})"
    assert f"/o/{order.secret}" in notice.get_body(("plain",)).get_content()
    assert not list(notice.iter_attachments())


def test_a_name_stored_with_a_line_break_still_gets_its_ticket_on_one_header_line(mail_app):
    app, inbox = mail_app
    order = make_paid_order(["Ana\r\nBcc: victim@example.org"])  # as stored before names were checked

    signals.emit(signals.order_paid, order_id=order.id)

    (message,) = inbox.wait_for(1)
    assert message["To"] == '"Ana  Bcc: victim@example.org" <ana@example.org>'
    assert message["Bcc"] is None
    assert [envelope.rcpt_tos for envelope in inbox.envelopes] == [["ana@example.org"]]
    assert Outbox.get(Outbox.kind == "ticket").state == "sent"


def test_an_indonesian_registrant_hears_of_acceptance_in_indonesian(mail_app):
    app, inbox = mail_app
    order = make_paid_order(["Ana Putri"], approval="pending", locale="id")
    order.event.translations = {"id": {"name": "KTT Teknologi Jakarta"}}
    order.event.save()
    order.approval = "approved"
    order.save()
    signals.emit(signals.order_approved, order_id=order.id)
    (msg,) = [m for m in inbox.wait_for(2) if m["Subject"].startswith("Anda diterima")]
    assert msg["Subject"] == "Anda diterima: KTT Teknologi Jakarta"
    text = msg.get_body(("plain",)).get_content()
    assert f"Pendaftaran Anda {order.code} untuk KTT Teknologi Jakarta" in text
    assert "(Asia/Jakarta)" in text and "accepted" not in text
