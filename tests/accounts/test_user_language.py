"""Each user chooses the language of the console and the door; attendees keep their event's."""

from __future__ import annotations

import pytest

from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from webapp.accounts.models import User


@pytest.fixture
def team(app, auth):
    org = make_org("Toko Acara")
    event = make_event(org, name="Malam Peluncuran")
    make_product(event, name="Reguler")
    manager = make_member(org, "manager")
    door = make_member(org, "door")
    return org, event, auth.client_for(manager, org), manager, auth.client_for(door, org), door


def test_a_manager_who_chose_indonesian_gets_the_console_in_indonesian(team):
    org, event, client, manager, *_ = team
    english = client.get("/console/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Upcoming events" in english and '<html lang="en">' in english

    response = client.post("/console/profile", data={"language": "id"}, headers={"Accept-Language": "en"})
    assert response.status_code == 303
    assert User.get_by_id(manager.id).language == "id"
    saved = client.get(response.headers["Location"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Bahasa Anda tersimpan." in saved

    page = client.get("/console/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="id">' in page
    assert "Acara mendatang" in page and "Upcoming events" not in page
    assert ">Dasbor</a>" in page and ">Pengaturan" not in page  # a manager has no settings link
    events = client.get("/console/events/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Acara" in events
    overview = client.get(f"/console/events/{event.id}/overview").get_data(as_text=True)
    assert "Ringkasan" in overview and "Jenis tiket" in overview and "Ticket types" not in overview


def test_door_staff_who_chose_indonesian_get_the_door_in_indonesian(team):
    org, event, _, _, door_client, door = team
    assert door_client.post("/console/profile", data={"language": "id"}).status_code == 303
    page = door_client.get(f"/checkin/{event.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="id">' in page and "Keluar" in page  # "Log out"


def test_the_browser_language_applies_until_a_user_chooses(team):
    _, _, client, manager, *_ = team
    page = client.get("/console/", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert "Acara mendatang" in page
    client.post("/console/profile", data={"language": "en"})
    page = client.get("/console/", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert "Upcoming events" in page
    client.post("/console/profile", data={"language": ""})  # back to the browser's
    assert User.get_by_id(manager.id).language is None
    assert "Acara mendatang" in client.get("/console/", headers={"Accept-Language": "id"}).get_data(as_text=True)


@pytest.mark.parametrize("bad", ["fr", "id\x00", "x" * 5000])
def test_an_unknown_language_is_refused_beside_the_field(team, bad):
    _, _, client, manager, *_ = team
    response = client.post("/console/profile", data={"language": bad})
    assert response.status_code in (400, 422)
    if response.status_code == 422:
        field = response.get_data(as_text=True).split('id="language"')[1].split("</div>")[0]
        assert 'class="error"' in field
    assert User.get_by_id(manager.id).language is None


def test_attendees_keep_the_language_of_the_event_page(app, team):
    org, event, client, *_ = team
    client.post("/console/profile", data={"language": "id"})
    public = app.test_client().get(f"/e/{org.slug}/{event.slug}", headers={"Accept-Language": "en"})
    assert public.headers["Content-Language"] == "en"
