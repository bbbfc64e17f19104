"""Badges: settings, one attendee's badge at the door, the bulk PDF built by a task."""

from __future__ import annotations

import io

import pypdfium2
import pytest
import zxingcpp
from PIL import Image

from tests.factories.catalog import make_question
from tests.factories.contacts import make_contact, make_label
from tests.factories.orders import make_order, make_registrant
from webapp.catalog import groups as catalog_groups
from webapp.contacts.models import ContactLabel
from webapp.orders.models import Registrant
from webapp.tickets.badges import registrant_badge_pdf
from webapp.tickets.models import BadgeSettings
from webapp.work.models import Job


def _jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def manager(auth, org, supervisor):
    return auth.client_for(supervisor, org)


def pdf_pages(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF")
    document = pypdfium2.PdfDocument(data)
    return [page.get_textpage().get_text_range() for page in document]


def test_badge_shows_the_chosen_fields_and_the_page_size(manager, door_user, auth, org, event, ticket):
    company = make_question(event, label="Company", per_attendee=True, contact_field="company")
    order = make_order(
        event, {ticket: 1}, attendees=[{"name": "Putu Ayu", "answers": {str(company.id): "Nusantara Labs"}}]
    )
    registrant = order.registrants.get()
    saved = manager.post(
        f"/console/events/{event.id}/checkin/badges",
        data={"size": "a6", "fields": ["name", "company", "product"], "accent_color": "#0f766e"},
    )
    assert saved.status_code == 303
    assert BadgeSettings.get(BadgeSettings.event == event.id).size == "a6"

    door = auth.client_for(door_user, org)
    badge = door.get(f"/checkin/{event.id}/registrants/{registrant.id}/badge.pdf")
    assert badge.mimetype == "application/pdf"
    (text,) = pdf_pages(badge.data)
    assert "Putu Ayu" in text and "Nusantara Labs" in text and "Standard" in text
    width, height = pypdfium2.PdfDocument(badge.data)[0].get_size()
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (105, 148)


def test_badge_qr_carries_the_ticket_secret(manager, event, ticket):
    registrant = make_registrant(event, ticket)
    manager.post(
        f"/console/events/{event.id}/checkin/badges",
        data={"size": "90x55", "fields": ["name"], "show_qr": "y", "accent_color": "#1d4ed8"},
    )
    page = pypdfium2.PdfDocument(registrant_badge_pdf(registrant))[0]
    image = page.render(scale=4).to_pil()
    assert [code.text for code in zxingcpp.read_barcodes(image)] == [registrant.ticket_secret]


def test_badge_settings_refuse_a_bad_colour_and_no_fields(manager, event, ticket):
    answer = manager.post(f"/console/events/{event.id}/checkin/badges", data={"size": "90x55", "accent_color": "blue"})
    assert answer.status_code == 422
    assert not BadgeSettings.select().where(BadgeSettings.event == event.id).exists()


def _post_badge_logo(manager, event, logo: bytes):
    data = {"size": "90x55", "fields": ["name"], "accent_color": "#1d4ed8", "show_logo": "y"}
    return manager.post(
        f"/console/events/{event.id}/checkin/badges",
        data={**data, "logo": (io.BytesIO(logo), "logo.jpg")},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    ("logo", "message"),
    [(b"not an image", "PNG or JPEG"), (_jpeg(4001, 10), "at most 4000×4000 pixels")],
    ids=["not an image", "too wide"],
)
def test_a_badge_logo_must_be_an_image_of_at_most_4000_pixels_a_side(manager, event, ticket, logo, message):
    """A badge's logo of any size was kept (an organization's logo is held to 4000×4000): each badge's
    PDF decoded it again."""
    answer = _post_badge_logo(manager, event, logo)
    assert answer.status_code == 422 and message in answer.get_data(as_text=True)
    assert not BadgeSettings.select().where(BadgeSettings.event == event.id).exists()
    kept = _post_badge_logo(manager, event, _jpeg(64, 64))
    assert kept.status_code in (302, 303) and BadgeSettings.get(BadgeSettings.event == event.id).logo_path


def test_bulk_badges_build_one_pdf_with_progress(manager, event, ticket):
    make_order(event, {ticket: 3}, attendees=[{"name": "Citra"}, {"name": "Agus"}, {"name": "Bayu"}])
    make_registrant(event, ticket, status="canceled", attendees=[{"name": "Gone"}])
    started = manager.post(f"/console/events/{event.id}/checkin/badges/bulk", data={}, headers={"HX-Request": "true"})
    assert started.status_code == 200
    job = Job.get(Job.event_id == event.id)  # Huey runs immediately in tests
    assert (job.kind, job.state, job.processed, job.total) == ("badges", "done", 3, 3)
    progress = manager.get(f"/console/jobs/{job.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Download the PDF" in progress and "hx-trigger" not in progress
    download = manager.get(f"/console/events/{event.id}/checkin/badges/jobs/{job.id}/badges.pdf")
    pages = pdf_pages(download.data)
    assert [next(n for n in ("Agus", "Bayu", "Citra") if n in p) for p in pages] == ["Agus", "Bayu", "Citra"]


def test_bulk_badges_for_attendees_only_with_nobody_in_says_so(manager, event, ticket):
    make_registrant(event, ticket)
    answer = manager.post(
        f"/console/events/{event.id}/checkin/badges/bulk", data={"attended_only": "y"}, headers={"HX-Request": "true"}
    )
    assert answer.status_code == 422 and "Nobody" in answer.get_data(as_text=True)


def test_sample_badge_renders_without_registrants(manager, event, ticket):
    sample = manager.get(f"/console/events/{event.id}/checkin/badges/sample.pdf")
    assert "Ayu Kartika Sari" in pdf_pages(sample.data)[0]


def test_door_staff_cannot_change_badges(auth, org, door_user, event, ticket):
    door = auth.client_for(door_user, org)
    assert door.get(f"/console/events/{event.id}/checkin/badges").status_code == 403


def test_badge_shows_the_linked_contacts_fields_labels_and_custom_fields(manager, door_user, auth, org, event, ticket):
    contact = make_contact(
        org, "wayan@example.org", name="Wayan Contact", phone="+62 812 5550 1234", company="Bali Robotics",
        custom={"table": "Table 7", "diet": "Vegan"},
    )  # fmt: skip
    ContactLabel.create(organization=org, contact=contact, label=make_label(org, "VIP Speaker"))
    registrant = make_registrant(event, ticket, buyer_name="Wayan Registrant", buyer_email="wayan@example.org")
    registrant.contact = contact
    registrant.save()

    editor = manager.get(f"/console/events/{event.id}/checkin/badges").get_data(as_text=True)
    for offered in ("contact:phone", "contact:company", "contact:labels", "contact:custom:table", "Contact: table"):
        assert offered in editor, offered
    fields = ["name", "contact:phone", "contact:company", "contact:labels", "contact:custom:table"]
    saved = manager.post(
        f"/console/events/{event.id}/checkin/badges",
        data={"size": "a6", "fields": fields, "accent_color": "#0f766e"},
    )
    assert saved.status_code == 303
    assert BadgeSettings.get(BadgeSettings.event == event.id).fields == fields

    badge = auth.client_for(door_user, org).get(f"/checkin/{event.id}/registrants/{registrant.id}/badge.pdf")
    (text,) = pdf_pages(badge.data)
    text = " ".join(text.split())  # a long name wraps onto two lines
    for shown in ("Wayan Registrant", "+62 812 5550 1234", "Bali Robotics", "VIP Speaker", "Table 7"):
        assert shown in text, (shown, text)
    assert "Vegan" not in text  # a custom field the badge does not show


def test_a_badge_without_a_linked_contact_leaves_the_contact_fields_out(manager, org, event, ticket):
    registrant = make_registrant(event, ticket, buyer_name="Nyoman Solo", buyer_email="solo@example.org")
    registrant.contact = None
    registrant.save()
    manager.post(
        f"/console/events/{event.id}/checkin/badges",
        data={"size": "90x55", "fields": ["name", "contact:phone", "contact:labels"], "accent_color": "#1d4ed8"},
    )
    (text,) = pdf_pages(registrant_badge_pdf(registrant))
    assert "Nyoman Solo" in text and "Contact" not in text


def test_the_badge_editor_offers_the_contact_fields_in_indonesian(manager, event, ticket):
    page = manager.get(f"/console/events/{event.id}/checkin/badges", headers={"Accept-Language": "id"})
    text = page.get_data(as_text=True)
    assert "Kontak: telepon" in text and "Kontak: label" in text and "Kode pesanan" in text


def test_each_participant_group_prints_its_badge_layout(auth, org, door_user, event, ticket):
    speakers = catalog_groups.create(event, {"name": "Speakers", "badge_layout": "ribbon"}, actor=None)
    speaker = make_registrant(event, ticket, buyer_name="Made Wirawan")
    Registrant.update(group=speakers.id).where(Registrant.id == speaker.id).execute()
    attendee = make_registrant(event, ticket, buyer_name="Siti Rahma")
    door = auth.client_for(door_user, org)
    (speaker_text,) = pdf_pages(door.get(f"/checkin/{event.id}/registrants/{speaker.id}/badge.pdf").data)
    (attendee_text,) = pdf_pages(door.get(f"/checkin/{event.id}/registrants/{attendee.id}/badge.pdf").data)
    assert "Made Wirawan" in speaker_text and "SPEAKERS" in speaker_text.upper()
    assert "Siti Rahma" in attendee_text and "SPEAKERS" not in attendee_text.upper()
