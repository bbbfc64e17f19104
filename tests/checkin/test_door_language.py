"""The door pages in Indonesian: the scanner page, its script's words, the answers, search, recent
scans and the walk-in form follow the device's language; English stays the default."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.checkin.test_door_views import scan, with_csrf_header
from tests.factories.catalog import make_product
from tests.factories.orders import make_registrant

ROOT = Path(__file__).resolve().parents[2]
ID = {"Accept-Language": "id-ID,id;q=0.9,en;q=0.5"}


@pytest.fixture
def door_id(auth, org, door_user):
    client = with_csrf_header(auth.client_for(door_user, org))
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = ID["Accept-Language"]
    return client


def _texts(page: str) -> dict:
    block = re.search(r'<script type="application/json" id="scanner-texts">(.*?)</script>', page, re.S)
    assert block, "the scanner page carries its script's words as a JSON data block"
    return json.loads(block.group(1))


def test_the_scanner_page_renders_in_indonesian(door_id, event, ticket):
    page = door_id.get(f"/checkin/{event.id}").get_data(as_text=True)
    assert '<html lang="id">' in page
    for text in ("Pindai tiket", "Cari orang", "Pindaian terakhir", "Perangkat ini", "Mulai memindai", "Berikutnya"):
        assert text in page, text
    for english in ("Scan a ticket", "Find a person", "Recent scans", "Start scanning", "Log out"):
        assert english not in page, english
    texts = _texts(page)
    assert texts["no_gate"] == "tanpa gerbang"
    assert texts["checked_in_at_gate"] == "Check-in pukul {time} di {gate}"
    assert "<script>" not in page  # CSP: the data block is not a script


def test_every_word_the_scanner_script_says_comes_from_the_page(door_id, event, ticket):
    script = (ROOT / "static/js/scanner.js").read_text()
    used = set(re.findall(r'say\("(\w+)"', script))
    texts = _texts(door_id.get(f"/checkin/{event.id}").get_data(as_text=True))
    assert used and used <= set(texts), used - set(texts)
    # no English sentence left in the script for a person to read
    assert not re.findall(r'textContent = "[A-Z]', script)
    assert not re.findall(r'showProblem\("', script)


def test_the_scanner_page_stays_english_by_default(auth, org, door_user, event, ticket):
    client = auth.client_for(door_user, org)
    page = client.get(f"/checkin/{event.id}").get_data(as_text=True)
    assert '<html lang="en">' in page and "Scan a ticket" in page
    assert _texts(page)["no_gate"] == "no gate"


def test_answers_are_in_indonesian(door_id, event, ticket):
    registrant = make_registrant(event, ticket)
    ok = scan(door_id, event, registrant.ticket_secret).json
    assert (ok["result"], ok["message"]) == ("ok", "Silakan masuk")
    again = scan(door_id, event, registrant.ticket_secret).json
    assert (again["reason"], again["message"]) == ("already_checked_in", "Sudah check-in")
    assert scan(door_id, event, "NOSUCHTICKET").json["message"] == "Tiket tidak dikenal"
    unpaid = make_registrant(event, ticket, status="pending")
    answer = scan(door_id, event, unpaid.ticket_secret).json
    assert answer["message"] == "Belum dibayar"
    assert answer["needs_attention"] == ["Belum dibayar: pengawas dapat menerima pembayaran di pintu."]
    forced = scan(door_id, event, unpaid.ticket_secret, force_reason="tamu pembicara")
    assert forced.status_code == 403
    assert forced.json["error"]["message"] == "Hanya pengawas pintu (manajer ke atas) yang boleh memaksa check-in."


def test_an_answer_shows_yes_and_no_in_indonesian(door_id, event, ticket):
    from tests.factories.catalog import make_question

    question = make_question(event, label="Vegetarian", kind="checkbox", per_attendee=True, show_at_checkin=True)
    registrant = make_registrant(event, ticket, attendees=[{"name": "Sari", "answers": {str(question.id): True}}])
    answer = scan(door_id, event, registrant.ticket_secret).json
    assert answer["registrant"]["answers"] == [{"label": "Vegetarian", "value": "Ya"}]


def test_search_and_recent_scans_are_in_indonesian(door_id, event, ticket):
    registrant = make_registrant(event, ticket, attendees=[{"name": "Sari Putri"}])
    make_registrant(event, ticket, status="pending", attendees=[{"name": "Sari Dewi"}])
    found = door_id.get(f"/checkin/{event.id}/search?q=Sari", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Check-in" in found and "belum dibayar" in found
    assert f"pesanan {registrant.order.code}" in found
    nobody = door_id.get(f"/checkin/{event.id}/search?q=zz", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Tidak ada yang cocok dengan “zz”." in nobody
    recent = door_id.get(f"/checkin/{event.id}/recent").get_data(as_text=True)
    assert "Belum ada pindaian di daftar ini." in recent
    scan(door_id, event, registrant.ticket_secret)
    scan(door_id, event, "NOSUCHTICKET")
    recent = door_id.get(f"/checkin/{event.id}/recent").get_data(as_text=True)
    assert "Masuk" in recent and "Tiket tidak dikenal" in recent and "Batalkan" in recent


def test_the_walk_in_form_and_its_errors_are_in_indonesian(door_id, event, ticket):
    page = door_id.get(f"/checkin/{event.id}").get_data(as_text=True)
    assert "Daftarkan pengunjung langsung" in page and "Jenis tiket" in page and "Dibayar di pintu" in page
    data = {"name": "", "email": "not-an-email", "product": ticket.id}
    answer = door_id.post(f"/checkin/{event.id}/walk-in", data=data, headers={"HX-Request": "true"})
    body = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 422
    assert "Alamat email tidak valid." in body and "This field is required" not in body
    priced = make_product(event, name="Door ticket", price=100000)
    data = {"name": "Budi", "email": "budi@example.org", "product": priced.id}
    answer = door_id.post(f"/checkin/{event.id}/walk-in", data=data, headers={"HX-Request": "true"})
    assert "Tiket ini berbayar" in html.unescape(answer.get_data(as_text=True))
    done = door_id.post(f"/checkin/{event.id}/walk-in", data={**data, "product": ticket.id})
    assert done.status_code == 303
    flashed = html.unescape(door_id.get(f"/checkin/{event.id}").get_data(as_text=True))
    assert "Budi terdaftar: Silakan masuk." in flashed


def test_every_door_message_has_an_indonesian_translation():
    with open(ROOT / "webapp/translations/id/LC_MESSAGES/messages.po", "rb") as f:
        catalog = read_po(f, locale="id")
    door = [
        m
        for m in catalog
        if m.id and any(path.startswith(("templates/checkin/", "webapp/checkin/")) for path, _ in m.locations)
    ]
    assert len(door) > 80
    missing = [m.id for m in door if m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string])]
    assert not missing, missing
