"""Ticket PDFs: what they show, the QR round-trip, storage and re-generation."""

from __future__ import annotations

import pytest

from tests.factories.accounts import make_member, make_org
from tests.factories.orders import make_order
from tests.factories.tickets import decode_qr, make_paid_order, pdf_pages, pdf_text
from webapp.orders.models import Registrant
from webapp.runtime import settings
from webapp.tickets import service
from webapp.tickets.models import TicketDocument, TicketSettings


def test_qr_on_each_page_decodes_to_that_ticket_secret(app):
    order = make_paid_order(["Ana Putri", "Budi Santoso"])
    registrants = list(order.registrants.order_by(Registrant.id))

    pages = pdf_pages(service.order_pdf(order))

    assert len(pages) == 2
    assert [decode_qr(page) for page in pages] == [[r.ticket_secret] for r in registrants]


def test_ticket_shows_event_attendee_type_order_and_local_time(app):
    order = make_paid_order(["Ana Putri"])
    order.event.venue_address = "Jl. Gatot Subroto Kav. 37"
    order.event.save()

    text = pdf_text(service.order_pdf(order))

    assert "Jakarta Tech Summit" in text
    assert "Ana Putri" in text
    assert "Regular" in text
    assert order.code in text
    assert "Balai Kartini" in text and "Gatot Subroto" in text
    local = order.event.starts_at.replace(tzinfo=None)
    from webapp.timeutil import to_local

    assert to_local(local, "Asia/Jakarta").strftime("%-d") in text
    assert "WIB" in text or "GMT+07" in text or "+0700" in text


def test_ticket_follows_the_order_language(app):
    order = make_paid_order(["Ana Putri"], locale="id")
    text = pdf_text(service.order_pdf(order))
    indonesian_days = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
    assert any(day in text for day in indonesian_days)
    assert "Pesanan" in text and "Tunjukkan kode ini" in text


def test_canceled_registrant_gets_no_page(app):
    order = make_paid_order(["Ana Putri", "Budi Santoso"])
    budi = order.registrants.where(Registrant.name == "Budi Santoso").get()
    budi.canceled = True
    budi.save()

    pages = pdf_pages(service.order_pdf(order))

    assert len(pages) == 1
    with pytest.raises(service.NoTickets):
        service.registrant_pdf(budi)


def test_unpaid_order_has_no_tickets(app):
    order = make_paid_order(["Ana Putri"], status="pending")
    with pytest.raises(service.NoTickets):
        service.order_pdf(order)


def test_stored_pdf_is_reused_until_the_name_changes(app):
    order = make_paid_order(["Ana Putri"])
    service.order_pdf(order)
    first = TicketDocument.get(TicketDocument.key == f"order:{order.id}")

    service.order_pdf(order)
    assert TicketDocument.get_by_id(first.id).fingerprint == first.fingerprint

    registrant = order.registrants.get()
    registrant.name = "Ana Putri Wijaya"
    registrant.save()
    text = pdf_text(service.order_pdf(order))

    second = TicketDocument.get_by_id(first.id)
    assert second.fingerprint != first.fingerprint
    assert "Ana Putri Wijaya" in text
    assert not (settings().instance_dir / first.path).exists()
    assert (settings().instance_dir / second.path).exists()


def test_event_change_and_page_size_regenerate(app):
    order = make_paid_order(["Ana Putri"])
    service.order_pdf(order)
    before = TicketDocument.get(TicketDocument.key == f"order:{order.id}").fingerprint

    TicketSettings.create(organization=order.organization_id, event=order.event, page_size="A4")
    page = pdf_pages(service.order_pdf(order))[0]

    assert TicketDocument.get(TicketDocument.key == f"order:{order.id}").fingerprint != before
    assert page.width > 1500  # A4 at 200 dpi is 1654 px wide; A6 would be 827


def test_payment_renders_no_pdf_ahead_of_time(app):
    """A ticket PDF is made when it is emailed or downloaded, not for every paid order."""
    from webapp import signals

    order = make_paid_order(["Ana Putri", "Budi Santoso"])
    signals.emit(signals.order_paid, order_id=order.id)
    assert not TicketDocument.select().where(TicketDocument.order == order).exists()
    service.order_pdf(order)
    assert {d.key for d in TicketDocument.select().where(TicketDocument.order == order)} == {f"order:{order.id}"}


def test_attendee_downloads_with_the_order_secret(client):
    order = make_paid_order(["Ana Putri"])
    registrant = order.registrants.get()

    response = client.get(f"/tickets/{order.secret}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert decode_qr(pdf_pages(response.data)[0]) == [registrant.ticket_secret]

    assert client.get(f"/tickets/{order.secret}/{registrant.id}.pdf").status_code == 200
    assert client.get(f"/tickets/{order.secret}x.pdf").status_code == 404
    other = make_paid_order(["Budi Santoso"])
    assert client.get(f"/tickets/{order.secret}/{other.registrants.get().id}.pdf").status_code == 404


def test_pending_order_download_is_not_found(client):
    order = make_paid_order(["Ana Putri"], status="pending")
    assert client.get(f"/tickets/{order.secret}.pdf").status_code == 404


def test_console_download_is_scoped_to_the_organization(app, auth):
    order = make_paid_order(["Ana Putri"])
    manager = make_member(order.organization, "manager")
    stranger_org = make_org()
    stranger = make_member(stranger_org, "manager")
    registrant = order.registrants.get()

    mine = auth.client_for(manager, order.organization)
    assert mine.get(f"/console/orders/{order.id}/tickets.pdf").status_code == 200
    assert mine.get(f"/console/registrants/{registrant.id}/ticket.pdf").status_code == 200

    theirs = auth.client_for(stranger, stranger_org)
    assert theirs.get(f"/console/orders/{order.id}/tickets.pdf").status_code == 404
    assert theirs.get(f"/console/registrants/{registrant.id}/ticket.pdf").status_code == 404


def test_door_staff_cannot_download_from_the_console(app, auth):
    order = make_paid_order(["Ana Putri"])
    door = make_member(order.organization, "door")
    response = auth.client_for(door, order.organization).get(f"/console/orders/{order.id}/tickets.pdf")
    assert response.status_code == 403


def test_ticket_settings_page_saves_and_previews(app, auth):
    order = make_paid_order(["Ana Putri"])
    manager = make_member(order.organization, "manager")
    client = auth.client_for(manager, order.organization)
    url = f"/console/events/{order.event_id}/tickets"

    assert client.get(url).status_code == 200
    response = client.post(url, data={"page_size": "A4", "show_price": "y", "note": "Bring an ID card"})
    assert response.status_code == 303
    saved = TicketSettings.get(TicketSettings.event == order.event)
    assert (saved.page_size, saved.show_price, saved.note) == ("A4", True, "Bring an ID card")
    assert "Bring an ID card" in pdf_text(service.order_pdf(order))

    assert client.post(url, data={"page_size": "Letter"}).status_code == 422
    preview = client.get(f"{url}/preview.pdf")
    assert preview.status_code == 200 and decode_qr(pdf_pages(preview.data)[0])


def test_order_without_admitting_products_has_no_tickets(app):
    from tests.factories.catalog import make_product

    order = make_paid_order(["Ana Putri"])
    addon = make_product(order.event, name="Parking", admits_entry=False)
    only_addon = make_order(order.event, {addon: 1})
    with pytest.raises(service.NoTickets):
        service.order_pdf(only_addon)


def test_paid_order_whose_tickets_were_all_canceled_is_not_found(client):
    order = make_paid_order(["Ana Putri"])
    Registrant.update(canceled=True).where(Registrant.order == order).execute()
    assert client.get(f"/tickets/{order.secret}.pdf").status_code == 404


def test_a_stored_ticket_is_made_again_on_its_next_use_after_a_change_and_dropped_when_canceled(app):
    from webapp import signals

    order = make_paid_order(["Ana Putri"])
    key = f"order:{order.id}"
    service.order_pdf(order)
    first = TicketDocument.get(TicketDocument.key == key)

    registrant = order.registrants.get()
    registrant.name = "Ana Wijaya"
    registrant.save()
    signals.emit(signals.registrant_changed, registrant_id=registrant.id)
    assert "Ana Wijaya" in pdf_text(service.pdf_for_key(key))  # what an email attaches
    renamed = TicketDocument.get(TicketDocument.key == key)
    assert renamed.fingerprint != first.fingerprint

    event = order.event
    event.name = "Jakarta Tech Summit 2027"
    event.save()
    signals.emit(signals.event_changed, event_id=event.id)
    assert "Jakarta Tech Summit 2027" in pdf_text(service.pdf_for_key(key))
    moved = TicketDocument.get(TicketDocument.key == key)

    order.status = "canceled"
    order.save()
    signals.emit(signals.order_canceled, order_id=order.id)
    assert not TicketDocument.select().where(TicketDocument.order == order).exists()
    assert not (settings().instance_dir / moved.path).exists()


def test_approval_after_payment_releases_the_tickets(app):
    from webapp import signals

    order = make_paid_order(["Ana Putri"], approval="pending")
    with pytest.raises(service.NoTickets):
        service.order_pdf(order)
    order.approval = "approved"
    order.save()
    signals.emit(signals.order_approved, order_id=order.id)
    assert len(pdf_pages(service.order_pdf(order))) == 1


def test_order_page_links_a_download_that_answers_404_when_no_ticket_is_left(client):
    order = make_paid_order(["Ana Putri"])
    page = client.get(f"/o/{order.secret}").get_data(as_text=True)
    assert f"/tickets/{order.secret}.pdf" in page
    assert client.get(f"/tickets/{order.secret}.pdf").status_code == 200
    Registrant.update(canceled=True).where(Registrant.order == order).execute()
    assert client.get(f"/tickets/{order.secret}.pdf").status_code == 404
