import datetime as dt
import json
import re

import icalendar

from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from webapp.db import utcnow


def _url(event):
    return f"/e/{event.organization.slug}/{event.slug}"


def _published(**kw):
    org = make_org(timezone="Asia/Jakarta")
    event = make_event(
        org,
        name="Jakarta Dev Summit",
        timezone="Asia/Jakarta",
        starts_at=dt.datetime(2030, 3, 6, 2, 0),
        ends_at=dt.datetime(2030, 3, 6, 10, 0),
        description_md="## Program\n\nKeynote <script>alert('x')</script> then **lunch**.\n\n<img src=x onerror=alert(1)>",
        **kw,
    )
    return org, event


def test_landing_page_shows_times_in_the_event_timezone(app, client):
    org, event = _published()
    make_product(event, name="Regular", price=150000)
    body = client.get(_url(event)).get_data(as_text=True)
    assert "Jakarta Dev Summit" in body
    assert "9:00" in body and "17:00" in body and "WIB" in body  # 02:00-10:00 UTC in Jakarta
    assert "IDR" in body or "Rp" in body


def test_description_markdown_is_sanitized(app, client):
    org, event = _published()
    body = client.get(_url(event)).get_data(as_text=True)
    assert "<strong>lunch</strong>" in body
    assert "alert(" not in body.split("application/ld+json")[0] + body.split("</script>", 1)[-1]
    assert "onerror" not in body


def test_json_ld_describes_the_event_and_cannot_break_out_of_its_script(app, client):
    org, event = _published(summary="Best </script><script>alert(1)</script> summit")
    make_product(event, name="Regular", price=150000)
    body = client.get(_url(event)).get_data(as_text=True)
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', body, re.S).group(1)
    assert "</script>" not in raw and "<script" not in raw
    data = json.loads(raw)
    assert data["@type"] == "Event" and data["name"] == "Jakarta Dev Summit"
    assert data["startDate"] == "2030-03-06T09:00:00+07:00"
    assert data["offers"][0]["price"] == "150000" and data["offers"][0]["priceCurrency"] == "IDR"
    assert '<meta property="og:title" content="Jakarta Dev Summit">' in body


def test_ics_download_has_the_event_in_its_timezone(app, client):
    org, event = _published()
    response = client.get(_url(event) + "/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(response.data)
    assert str(cal["method"]) == "PUBLISH"
    assert any(c.name == "VTIMEZONE" and str(c["tzid"]) == "Asia/Jakarta" for c in cal.walk())
    vevent = next(c for c in cal.walk() if c.name == "VEVENT")
    start = vevent.decoded("dtstart")
    assert start.utcoffset() == dt.timedelta(hours=7) and start.hour == 9
    assert str(vevent["summary"]) == "Jakarta Dev Summit"
    assert "DTSTART;TZID=Asia/Jakarta:20300306T090000" in response.get_data(as_text=True)


def test_google_calendar_link_is_offered(app, client):
    org, event = _published()
    body = client.get(_url(event)).get_data(as_text=True)
    assert "calendar.google.com/calendar/render?action=TEMPLATE" in body
    assert "dates=20300306T020000Z%2F20300306T100000Z" in body


def test_draft_is_visible_only_to_members_with_a_banner(app, client, auth):
    org, event = _published(status="draft")
    assert client.get(_url(event)).status_code == 404
    outsider = auth.client_for(make_member(make_org(), "owner"))
    assert outsider.get(_url(event)).status_code == 404
    member = auth.client_for(make_member(org, "door"), org)
    response = member.get(_url(event))
    assert response.status_code == 200
    assert "Preview" in response.get_data(as_text=True)


def test_archived_event_is_gone(app, client):
    org, event = _published(status="archived")
    assert client.get(_url(event)).status_code == 404
    assert client.get(_url(event) + "/calendar.ics").status_code == 404


def test_closed_event_says_registration_is_closed(app, client):
    org, event = _published(status="closed")
    make_product(event, name="Regular")
    body = client.get(_url(event)).get_data(as_text=True)
    assert "Registration is closed." in body
    assert 'name="checkout_token"' not in body


def test_sold_out_and_remaining_are_shown(app, client):
    org, event = _published(registration_opens_at=utcnow() + dt.timedelta(days=1))
    make_product(event, name="Early bird", quota=0)
    make_product(event, name="Regular", quota=25)
    body = client.get(_url(event)).get_data(as_text=True)
    assert "Sold out" in body
    assert "25 left" in body


def test_hidden_product_only_with_its_secret_link(app, client):
    org, event = _published(status="closed")
    speaker = make_product(event, name="Speaker pass", hidden=True, access_key="s3cret-key-123")
    assert "Speaker pass" not in client.get(_url(event)).get_data(as_text=True)
    assert "Speaker pass" not in client.get(_url(event) + f"?product={speaker.id}").get_data(as_text=True)
    assert "Speaker pass" in client.get(_url(event) + "?product=s3cret-key-123").get_data(as_text=True)


def test_indonesian_page_is_translated(app, client):
    org, event = _published(
        status="closed",
        languages=["en", "id"],
        translations={"id": {"name": "KTT Pengembang Jakarta"}},
    )
    make_product(event, name="Regular", translations={"id": {"name": "Reguler"}})
    response = client.get(_url(event) + "?lang=id")
    body = response.get_data(as_text=True)
    assert '<html lang="id">' in body
    assert "KTT Pengembang Jakarta" in body and "Reguler" in body
    assert "Pendaftaran ditutup." in body  # "Registration is closed."
    assert "Maret" in body  # the date in Indonesian
    # remembered for the next page without ?lang
    assert "KTT Pengembang Jakarta" in client.get(_url(event)).get_data(as_text=True)


def test_language_not_offered_by_the_event_falls_back(app, client):
    org, event = _published(translations={"id": {"name": "KTT Pengembang Jakarta"}})
    body = client.get(_url(event) + "?lang=id").get_data(as_text=True)
    assert "KTT Pengembang Jakarta" not in body


def test_an_indonesian_only_event_shows_its_registration_form_in_indonesian(app, client):
    org, event = _published(languages=["id"])
    make_product(event, name="Regular", translations={"id": {"name": "Reguler"}})
    body = client.get(_url(event), headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="id">' in body
    assert "Reguler" in body
    assert "Kode kupon" in body  # the registration form's "Coupon code"


def test_odd_secret_links_do_not_break_the_page(app, client):
    org, event = _published(status="closed")
    make_product(event, name="Speaker pass", hidden=True, access_key="s3cret")
    for key in ("é", "", "x" * 500):
        response = client.get(_url(event), query_string={"product": key})
        assert response.status_code == 200
        assert "Speaker pass" not in response.get_data(as_text=True)


def test_ics_of_a_zone_with_summer_time_carries_both_rules(app, client):
    org = make_org(timezone="Europe/Berlin")
    event = make_event(
        org, timezone="Europe/Berlin", starts_at=dt.datetime(2030, 7, 1, 7, 0), ends_at=dt.datetime(2030, 7, 1, 15, 0)
    )
    text = client.get(_url(event) + "/calendar.ics").get_data(as_text=True)
    assert "BEGIN:DAYLIGHT" in text and "BEGIN:STANDARD" in text
    assert "DTSTART;TZID=Europe/Berlin:20300701T090000" in text  # 07:00 UTC is 09:00 in Berlin summer
