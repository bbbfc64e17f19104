"""The cached landing page as browsers get it: compressed once per render with each visitor's
tokens put in per answer, the event read again only after a change, and every change a visitor
must see (an edit, the organization's name, a language, a sold-out ticket, a draft published)
still showing on the next request."""

import gzip
import re
import time

from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_order
from tests.orders.helpers import form, register_url
from webapp.accounts import service as accounts
from webapp.catalog.translations import save_translations
from webapp.events import page_cache, service

BROWSER = {"Accept-Encoding": "gzip, deflate, br", "Accept-Language": "en-US,en;q=0.9"}
TOKENS = re.compile(
    r'(name="csrf_token" value=|name="csrf-token" content=|"X-CSRFToken": |name="checkout_token" value=)"[^"]+"'
)


def _url(event, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/e/{event.organization.slug}/{event.slug}" + (f"?{query}" if query else "")


def _event(**kw):
    event = make_event(make_org(timezone="UTC"), languages=["en", "id"], **kw)
    ticket = make_product(event, name="Regular", price=0, quota=5)
    return event, ticket


def _page(client, url, headers=BROWSER) -> str:
    """The page as the browser reads it: the gzip answer unpacked."""
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    return gzip.decompress(response.data).decode()


def _tokens(body: str) -> tuple[str, str]:
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)
    token = re.search(r'name="checkout_token" value="([^"]+)"', body).group(1)
    return csrf, token


def test_tokens_go_between_parts_compressed_once():
    marks = iter(["<p>A</p>", "x"])

    def render(csrf_mark, token_mark):
        next(marks, None)
        return f"{csrf_mark}<head>{csrf_mark}</head>{token_mark}{csrf_mark}" + "body " * 500 + token_mark

    entry = page_cache._render(1, render, None)
    page = gzip.decompress(entry.gzipped("CSRF-1", "TOKEN-1")).decode()
    assert page == "CSRF-1<head>CSRF-1</head>TOKEN-1CSRF-1" + "body " * 500 + "TOKEN-1"
    assert entry.fill("CSRF-1", "TOKEN-1").decode() == page
    assert len(entry.gzipped("CSRF-1", "TOKEN-1")) < len(page) // 10  # compressed, not stored


def test_a_browser_gets_the_page_gzipped_with_its_own_tokens_and_can_register(csrf_app):
    event, ticket = _event()
    first, second = csrf_app.test_client(), csrf_app.test_client()
    page_1, page_2 = _page(first, _url(event)), _page(second, _url(event))
    (csrf_1, token_1), (csrf_2, token_2) = _tokens(page_1), _tokens(page_2)
    assert csrf_1 != csrf_2 and token_1 != token_2
    assert TOKENS.sub("", page_1) == TOKENS.sub("", page_2)  # the same page apart from the tokens
    plain = first.get(_url(event)).get_data(as_text=True)  # no Accept-Encoding: the page as it is
    assert TOKENS.sub("", plain) == TOKENS.sub("", page_1)
    data = form({ticket: 1}, csrf_token=csrf_2, checkout_token=token_2)
    assert second.post(register_url(event), data=data).status_code == 303


def test_a_client_without_gzip_gets_brotli_or_the_page_as_it_is(client):
    event, _ = _event()
    assert client.get(_url(event), headers={"Accept-Encoding": "br"}).headers["Content-Encoding"] == "br"
    refused = client.get(_url(event), headers={"Accept-Encoding": "gzip;q=0, br"})
    assert refused.headers["Content-Encoding"] == "br"
    plain = client.get(_url(event), headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and "Regular" in plain.get_data(as_text=True)


def test_a_copy_still_good_is_answered_304_in_gzip_too(app):
    event, _ = _event()
    visitor = app.test_client()
    etag = visitor.get(_url(event), headers=BROWSER).headers["ETag"]
    again = visitor.get(_url(event), headers={**BROWSER, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_an_edit_shows_in_the_compressed_page_on_the_next_request(client):
    event, _ = _event()
    assert "Renamed Summit" not in _page(client, _url(event))
    data = {
        "name": "Renamed Summit",
        "slug": event.slug,
        "summary": event.summary,
        "description_md": "",
        "timezone": event.timezone,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "currency": event.currency,
    }
    service.update_event(event, data, actor=None)
    assert "Renamed Summit" in _page(client, _url(event))


def test_the_organizations_new_name_shows_on_the_next_request(client):
    event, _ = _event()
    org = event.organization
    owner = make_member(org, role="owner")
    assert "Kopi Nusantara" not in _page(client, _url(event))
    accounts.update_organization(org, {"name": "Kopi Nusantara", "timezone": org.timezone}, actor=owner)
    assert "Kopi Nusantara" in _page(client, _url(event))


def test_the_language_switch_in_the_compressed_page(app):
    event, _ = _event()
    save_translations(event, "id", {"event": {"name": "Acara Besar"}}, actor=None)
    chooser, other = app.test_client(), app.test_client()
    assert "Acara Besar" in _page(chooser, _url(event, lang="id"))
    assert "Acara Besar" in _page(chooser, _url(event))  # remembered in the session
    response = other.get(_url(event), headers=BROWSER)
    assert "Acara Besar" not in gzip.decompress(response.data).decode()
    assert response.headers["Content-Language"] == "en"
    indonesian = other.get(_url(event), headers={**BROWSER, "Accept-Language": "id-ID,id;q=0.9"})
    assert indonesian.headers["Content-Language"] == "id"
    assert "Acara Besar" in gzip.decompress(indonesian.data).decode()


def test_a_sold_out_ticket_shows_in_the_compressed_page_within_two_seconds(client):
    event, ticket = _event()
    assert 'name="qty-' in _page(client, _url(event))
    make_order(event, {ticket: 5})  # sold out by orders: the page version does not change
    started = time.monotonic()
    while 'name="qty-' in _page(client, _url(event)):
        assert time.monotonic() - started < page_cache.MAX_AGE + 0.5, "still on sale after two seconds"
        time.sleep(0.1)
    assert "Sold out" in _page(client, _url(event))


def test_an_operator_previews_a_draft_that_visitors_see_once_published(app, auth):
    event, _ = _event(status="draft")
    org = event.organization
    operator = auth.client_for(make_member(org), org)
    visitor = app.test_client()
    assert visitor.get(_url(event), headers=BROWSER).status_code == 404
    preview = operator.get(_url(event))
    assert preview.status_code == 200 and preview.headers.get("ETag") is None  # made for the operator alone
    assert "This event is a draft" in preview.get_data(as_text=True)
    service.set_status(event, "published", actor=None)
    published = _page(visitor, _url(event))  # the draft this process saw is read again
    assert "Regular" in published and "This event is a draft" not in published
    assert "This event is a draft" not in operator.get(_url(event)).get_data(as_text=True)
    service.set_status(event, "closed", actor=None)
    assert "Registration is closed." in _page(visitor, _url(event))


def test_a_rush_reads_the_pages_version_once_per_moment(client, monkeypatch):
    event, _ = _event()
    reads = []
    real = service.EVENT_VERSION_BY_ADDRESS.first
    monkeypatch.setattr(service.EVENT_VERSION_BY_ADDRESS, "first", lambda **kw: reads.append(kw) or real(**kw))
    started = time.monotonic()
    for _ in range(20):
        _page(client, _url(event))
    moments = int((time.monotonic() - started) / service.VERSION_KEPT) + 1
    assert 1 <= len(reads) <= moments


def test_a_change_made_by_another_process_shows_within_the_moment(client):
    event, _ = _event()
    assert "Renamed elsewhere" not in _page(client, _url(event))
    # Another node renames the event: its version goes up in the database, not in this process.
    type(event).update(name="Renamed elsewhere", page_version=type(event).page_version + 1).where(
        type(event).id == event.id
    ).execute()
    started = time.monotonic()
    while "Renamed elsewhere" not in _page(client, _url(event)):
        assert time.monotonic() - started < service.VERSION_KEPT + 0.5, "the other node's change never showed"
        time.sleep(0.05)
