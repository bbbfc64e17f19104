"""What every page gets over HTTP: fingerprinted static files cached for good, a favicon, and
error pages that send attendees back to their event and operators to the console."""

import re

import pytest

from tests.conftest import make_test_app
from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event


def _asset_urls(body: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', body)


def test_static_files_have_fingerprinted_names_cached_for_good(client):
    body = client.get("/login").get_data(as_text=True)
    urls = _asset_urls(body)
    assert any(re.fullmatch(r"/static/css/app\.[0-9a-f]{12}\.css", url) for url in urls), urls
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_a_plain_or_outdated_static_name_is_revalidated(client):
    plain = client.get("/static/css/app.css")
    assert plain.status_code == 200 and plain.headers["Cache-Control"] == "no-cache"
    old = client.get("/static/css/app.0123456789ab.css")
    assert old.status_code == 200 and old.headers["Cache-Control"] == "no-cache"
    assert old.data == plain.data
    assert client.get("/static/css/nothing.0123456789ab.css").status_code == 404


def test_static_text_is_compressed(client):
    url = next(u for u in _asset_urls(client.get("/login").get_data(as_text=True)) if u.endswith(".css"))
    response = client.get(url, headers={"Accept-Encoding": "br, gzip"})
    assert response.headers["Content-Encoding"] in ("br", "gzip")


def test_favicon_answers(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_a_missing_page_under_an_event_sends_the_attendee_back_to_it(client):
    event = make_event(make_org())
    response = client.get(f"/e/{event.organization.slug}/{event.slug}/no-such-page")
    body = response.get_data(as_text=True)
    assert response.status_code == 404
    assert f'href="/e/{event.organization.slug}/{event.slug}"' in body and "Back to the event" in body
    assert "/login" not in body and "/console" not in body


def test_the_404_page_speaks_indonesian(client):
    event = make_event(make_org())
    response = client.get(f"/e/{event.organization.slug}/{event.slug}/no-such-page", headers={"Accept-Language": "id"})
    body = response.get_data(as_text=True)
    assert "Halaman tidak ditemukan" in body and "Kembali ke acara" in body


def test_a_missing_page_sends_an_operator_to_the_console(auth):
    org = make_org()
    client = auth.client_for(make_member(org), org)
    body = client.get("/console/no-such-page").get_data(as_text=True)
    assert 'href="/console/"' in body and "Go to the console" in body


def test_an_unknown_address_sends_nobody_to_sign_in(client):
    body = client.get("/no/such/page").get_data(as_text=True)
    assert "/login" not in body and "/console" not in body


@pytest.fixture
def failing_app(tmp_path, database_url, app):
    failing = make_test_app(tmp_path, database_url, PROPAGATE_EXCEPTIONS=False)

    @failing.route("/e/<org>/<event>/boom")
    def boom(org, event):
        raise RuntimeError("boom")

    return failing


def test_a_server_error_is_a_branded_page_back_to_the_event(failing_app):
    response = failing_app.test_client().get("/e/acme/summit/boom", headers={"Accept-Language": "id"})
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Terjadi kesalahan" in body and 'href="/e/acme/summit"' in body
    assert "boom" not in body  # nothing of the error itself


def test_the_landing_page_loads_htmx_only_with_its_form(client):
    closed = make_event(make_org(), status="closed")
    make_product(closed, name="Regular")
    assert "htmx" not in client.get(f"/e/{closed.organization.slug}/{closed.slug}").get_data(as_text=True)
    event = make_event(make_org())
    make_product(event, name="Regular")
    assert "htmx" in client.get(f"/e/{event.organization.slug}/{event.slug}").get_data(as_text=True)
