"""What each answer of the landing page and its calendar file carries, now that both are made once
per event version: the headers every page has, a remembered language that does not rewrite the
cookie, sessions and CSRF tokens signed as before, and a calendar file that follows every edit."""

import gzip
import hashlib
import os
from unittest import mock

import icalendar
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from tests.factories.accounts import make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from webapp import sessions
from webapp.catalog.translations import save_translations
from webapp.events import calendar, service

BROWSER = {"Accept-Encoding": "gzip, deflate, br", "Accept-Language": "en-US,en;q=0.9"}


def _url(event, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/e/{event.organization.slug}/{event.slug}" + (f"?{query}" if query else "")


def _event(**kw):
    event = make_event(make_org(timezone="UTC"), languages=["en", "id"], **kw)
    make_product(event, name="Regular", price=0, quota=5)
    return event


def _rename(event, name: str) -> None:
    data = {
        "name": name,
        "slug": event.slug,
        "summary": event.summary,
        "description_md": "",
        "timezone": event.timezone,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "currency": event.currency,
    }
    service.update_event(event, data, actor=None)


def _summary(body: bytes) -> str:
    vevent = next(c for c in icalendar.Calendar.from_ical(body).walk() if c.name == "VEVENT")
    return str(vevent["summary"])


def test_the_cached_page_carries_every_header_once(client):
    event = _event()
    for headers in (BROWSER, {}):
        response = client.get(_url(event), headers=headers)
        assert response.status_code == 200
        names = [name.lower() for name, _ in response.headers]
        assert len(names) == len(set(names))
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["Cache-Control"] == "private, no-cache"
        assert response.headers["Content-Language"] == "en"
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert {"Cookie", "Accept-Language", "Accept-Encoding"} <= set(response.vary)
        assert response.headers["ETag"].startswith('W/"') and response.headers["Last-Modified"]


def test_a_chosen_language_is_remembered_without_sending_the_cookie_again(app):
    event = _event()
    save_translations(event, "id", {"event": {"name": "Acara Besar"}}, actor=None)
    visitor = app.test_client()
    first = visitor.get(_url(event, lang="id"), headers=BROWSER)
    assert "Set-Cookie" in first.headers
    visitor.get(_url(event, lang="id"), headers=BROWSER)  # (Flask-Login marks the session once)
    again = visitor.get(_url(event, lang="id"), headers=BROWSER)
    assert "Set-Cookie" not in again.headers  # the session already says so
    assert again.headers["Content-Language"] == "id" and "Acara Besar" in gzip.decompress(again.data).decode()
    switched = visitor.get(_url(event, lang="en"), headers=BROWSER)
    assert "Set-Cookie" in switched.headers
    assert "Acara Besar" not in gzip.decompress(visitor.get(_url(event), headers=BROWSER).data).decode()


def test_a_browser_language_picks_the_page_whatever_the_header_looks_like(app):
    event = _event()
    save_translations(event, "id", {"event": {"name": "Acara Besar"}}, actor=None)
    for header, language in (
        ("id-ID,id;q=0.9,en;q=0.5", "id"),
        ("en-US,en;q=0.9", "en"),
        ("fr-FR, id;q=0.3", "id"),
        ("fr", "en"),
        ("", "en"),
        ("*;q=0.1, id;q=0", "en"),
    ):
        response = app.test_client().get(_url(event), headers={"Accept-Language": header})
        assert response.headers["Content-Language"] == language, header


def test_sessions_and_csrf_tokens_are_signed_as_flask_and_flask_wtf_sign_them():
    """Cookies and forms of visitors from before the change stay good, and theirs are the same bytes."""
    app = Flask("signing")
    app.secret_key = "current"
    ours = sessions.CookieSessions().get_signing_serializer(app)
    flasks = SecureCookieSessionInterface().get_signing_serializer(app)
    csrf_ours = sessions.QuickSerializer("current", salt=sessions.CSRF_SALT)
    csrf_theirs = URLSafeTimedSerializer("current", salt=sessions.CSRF_SALT)
    with mock.patch.object(TimestampSigner, "get_timestamp", lambda self: 1_800_000_000):
        for _ in range(50):
            raw = hashlib.sha1(os.urandom(64)).hexdigest()
            for value in ({"csrf_token": raw}, {"csrf_token": raw, "locale": "id"}, {"_user_id": "7:" + raw * 4}):
                assert ours.dumps(value) == flasks.dumps(value)
                assert ours.loads(flasks.dumps(value)) == value and flasks.loads(ours.dumps(value)) == value
            assert csrf_ours.dumps(raw) == csrf_theirs.dumps(raw)
    signed_before = flasks.dumps({"csrf_token": "x"})
    app.config["SECRET_KEY_FALLBACKS"] = ["current"]
    app.secret_key = "rotated"
    assert sessions.CookieSessions().get_signing_serializer(app).loads(signed_before) == {"csrf_token": "x"}


def test_the_calendar_file_is_made_once_per_version_and_follows_an_edit(client, monkeypatch):
    event = _event()
    made = []
    original = calendar.ics

    def counting(*args, **kwargs):
        made.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(calendar, "ics", counting)
    url = _url(event) + "/calendar.ics"
    bodies = [client.get(url).data for _ in range(3)]
    assert len(made) == 1 and bodies[0] == bodies[1] == bodies[2]
    assert _summary(bodies[0]) == event.name
    _rename(event, "Renamed Summit")
    assert _summary(client.get(url).data) == "Renamed Summit"
    assert len(made) == 2


def test_the_calendar_file_in_gzip_and_in_the_chosen_language(client):
    event = _event()
    save_translations(event, "id", {"event": {"name": "Acara Besar"}}, actor=None)
    url = _url(event) + "/calendar.ics"
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    packed = client.get(url, headers=BROWSER)
    assert packed.headers["Content-Encoding"] == "gzip" and gzip.decompress(packed.data) == plain.data
    assert packed.headers["Content-Type"] == "text/calendar; charset=utf-8; method=PUBLISH"
    assert packed.headers["Content-Disposition"] == f'attachment; filename="{event.slug}.ics"'
    assert _summary(client.get(url + "?lang=id").data) == "Acara Besar"
    assert _summary(client.get(url, headers={"Accept-Language": "id"}).data) == "Acara Besar"  # remembered
    assert _summary(client.get(url + "?lang=en").data) == event.name


def test_a_calendar_file_of_an_event_no_longer_public_is_gone(client):
    event = _event()
    url = _url(event) + "/calendar.ics"
    assert client.get(url).status_code == 200
    event.status = "archived"
    event.save()  # a new version: the file kept for the old one is not answered
    assert client.get(url).status_code == 404
