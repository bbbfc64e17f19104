"""The landing page under a rush: served from the shared cache, never stale after an edit, seats
at most two seconds old, a visitor's own tokens only, and 304s for a copy that is still good."""

import re
import time
import uuid

import pytest

from tests.conftest import TEST_HUEY_URL, make_test_app
from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_order
from tests.orders.helpers import form, register_url
from webapp.catalog import service as catalog
from webapp.catalog.translations import save_translations
from webapp.events import page_cache, service
from webapp.orders.models import Order


def _url(event, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/e/{event.organization.slug}/{event.slug}" + (f"?{query}" if query else "")


def _tokens(body: str) -> tuple[str, str]:
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)
    token = re.search(r'name="checkout_token" value="([^"]+)"', body).group(1)
    return csrf, token


def _event(**kw):
    event = make_event(make_org(timezone="UTC"), languages=["en", "id"], **kw)
    ticket = make_product(event, name="Regular", price=0, quota=5)
    return event, ticket


def _count_renders(monkeypatch) -> list:
    renders = []
    original = page_cache._render

    def counting(*args):
        renders.append(1)
        return original(*args)

    monkeypatch.setattr(page_cache, "_render", counting)
    return renders


def test_the_page_is_rendered_once_and_served_to_many_visitors(app, monkeypatch):
    event, _ = _event()
    renders = _count_renders(monkeypatch)
    bodies = [app.test_client().get(_url(event)).get_data(as_text=True) for _ in range(5)]
    assert len(renders) == 1
    assert all("Regular" in body for body in bodies)


def test_each_visitor_gets_tokens_of_their_own_and_can_register(csrf_app):
    event, ticket = _event()
    first, second = csrf_app.test_client(), csrf_app.test_client()
    csrf_1, token_1 = _tokens(first.get(_url(event)).get_data(as_text=True))
    body_2 = second.get(_url(event)).get_data(as_text=True)
    csrf_2, token_2 = _tokens(body_2)
    assert csrf_1 != csrf_2 and token_1 != token_2
    assert csrf_1 not in body_2 and token_1 not in body_2
    assert not re.search(r"rc[0-9a-f]{32}", body_2)  # no mark left in the page
    data = form({ticket: 1}, csrf_token=csrf_2, checkout_token=token_2)
    assert second.post(register_url(event), data=data).status_code == 303
    # The first visitor's token is refused in the second visitor's session.
    data = form({ticket: 1}, csrf_token=csrf_1, checkout_token=token_1, buyer_email="budi@example.org")
    assert second.post(register_url(event), data=data).status_code == 400


def test_a_signed_in_member_and_a_visitor_never_share_a_page(app, auth):
    org = make_org()
    user = make_member(org)
    event = make_event(org)
    make_product(event, name="Regular")
    member = auth.client_for(user, org)
    member_body = member.get(_url(event)).get_data(as_text=True)
    visitor_body = app.test_client().get(_url(event)).get_data(as_text=True)
    member_csrf = re.search(r'name="csrf-token" content="([^"]+)"', member_body).group(1)
    assert member_csrf not in visitor_body
    assert member.get(_url(event)).headers.get("ETag") is None  # rendered for the member alone


def test_a_flashed_message_stays_with_its_visitor(app):
    event, _ = _event()
    visitor = app.test_client()
    visitor.get(_url(event))
    with visitor.session_transaction() as sess:
        sess["_flashes"] = [("error", "Only for this visitor")]
    assert "Only for this visitor" in visitor.get(_url(event)).get_data(as_text=True)
    assert "Only for this visitor" not in app.test_client().get(_url(event)).get_data(as_text=True)


def test_the_language_chosen_by_one_visitor_is_not_shown_to_another(app):
    event, _ = _event()
    save_translations(event, "id", {"event": {"name": "Acara Besar"}}, actor=None)
    chooser = app.test_client()
    assert "Acara Besar" in chooser.get(_url(event, lang="id")).get_data(as_text=True)
    assert "Acara Besar" in chooser.get(_url(event)).get_data(as_text=True)  # remembered
    other = app.test_client().get(_url(event))
    assert "Acara Besar" not in other.get_data(as_text=True)
    assert other.headers["Content-Language"] == "en"
    assert {"Cookie", "Accept-Language"} <= set(other.vary)


def test_an_event_edit_shows_on_the_next_request(client):
    event, _ = _event()
    assert "Old Name" not in client.get(_url(event)).get_data(as_text=True)
    data = {
        "name": "Old Name Renamed",
        "slug": event.slug,
        "summary": event.summary,
        "description_md": "",
        "timezone": event.timezone,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "currency": event.currency,
    }
    service.update_event(event, data, actor=None)
    assert "Old Name Renamed" in client.get(_url(event)).get_data(as_text=True)


def test_a_product_edit_and_its_price_show_on_the_next_request(client):
    event, ticket = _event()
    assert "VIP Pass" not in client.get(_url(event)).get_data(as_text=True)
    catalog.update_product(ticket, {"name": "VIP Pass", "price": 275000, "quota": 5}, actor=None)
    body = client.get(_url(event)).get_data(as_text=True)
    assert "VIP Pass" in body and "275" in body and "Free" not in body.split("VIP Pass", 1)[1][:300]
    catalog.create_product(event, {"name": "Student", "price": 50000}, actor=None)
    assert "Student" in client.get(_url(event)).get_data(as_text=True)


def test_translated_texts_show_on_the_next_request(client):
    event, ticket = _event()
    assert "Tiket Reguler" not in client.get(_url(event, lang="id")).get_data(as_text=True)
    save_translations(event, "id", {"products": {ticket.id: {"name": "Tiket Reguler"}}}, actor=None)
    assert "Tiket Reguler" in client.get(_url(event, lang="id")).get_data(as_text=True)


def test_seats_shown_are_at_most_two_seconds_old(client):
    event, ticket = _event()
    assert 'name="qty-' in client.get(_url(event)).get_data(as_text=True)
    make_order(event, {ticket: 5})  # sold out, by orders: the page version does not change
    started = time.monotonic()
    while 'name="qty-' in client.get(_url(event)).get_data(as_text=True):
        assert time.monotonic() - started < page_cache.MAX_AGE + 0.5, "still on sale after two seconds"
        time.sleep(0.1)
    assert "Sold out" in client.get(_url(event)).get_data(as_text=True)


def test_checkout_decides_on_the_database_not_on_the_cached_page(client):
    event, ticket = _event()
    _, token = _tokens(client.get(_url(event)).get_data(as_text=True))
    make_order(event, {ticket: 5})  # the cached page still offers the ticket
    response = client.post(register_url(event), data=form({ticket: 1}, checkout_token=token))
    assert response.status_code == 422
    assert Order.select().count() == 1


def test_a_copy_still_good_is_answered_304(app):
    event, ticket = _event()
    visitor = app.test_client()
    first = visitor.get(_url(event))
    etag, last_modified = first.headers["ETag"], first.headers.get("Last-Modified")
    assert first.headers["Cache-Control"] == "private, no-cache"
    again = visitor.get(_url(event), headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag and again.data == b""
    assert last_modified
    # Another session's copy holds another CSRF token: not theirs to keep.
    assert app.test_client().get(_url(event), headers={"If-None-Match": etag}).status_code == 200
    # Once the copy's checkout token has made an order, the visitor gets a fresh form.
    _, token = _tokens(first.get_data(as_text=True))
    assert visitor.post(register_url(event), data=form({ticket: 1}, checkout_token=token)).status_code == 303
    fresh = visitor.get(_url(event), headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and _tokens(fresh.get_data(as_text=True))[1] != token


def test_an_edit_ends_the_304s(app):
    event, ticket = _event()
    visitor = app.test_client()
    etag = visitor.get(_url(event)).headers["ETag"]
    catalog.update_product(ticket, {"name": "Early Bird", "price": 150000, "quota": 5}, actor=None)
    answer = visitor.get(_url(event), headers={"If-None-Match": etag})
    assert answer.status_code == 200 and "Early Bird" in answer.get_data(as_text=True)


def test_text_answers_are_compressed(client):
    event, _ = _event()
    for encoding in ("br", "gzip"):
        response = client.get(_url(event), headers={"Accept-Encoding": encoding})
        assert response.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in response.vary
    assert "Content-Encoding" not in client.get(_url(event)).headers


def test_workers_of_one_node_share_the_rendered_page(database_url, tmp_path, app, monkeypatch):
    """Two apps on one instance folder stand for two gunicorn workers."""
    event, _ = _event()
    other = make_test_app(tmp_path, database_url)
    renders = _count_renders(monkeypatch)
    app.test_client().get(_url(event))
    with other.app_context():
        assert "Regular" in other.test_client().get(_url(event)).get_data(as_text=True)
    assert len(renders) == 1


@pytest.mark.skipif(not TEST_HUEY_URL.startswith("redis"), reason="Redis is configured only in the PostgreSQL run")
def test_nodes_share_the_rendered_page_through_redis(database_url, tmp_path, app, monkeypatch):
    event, _ = _event()
    prefix = f"rollcall-test-{uuid.uuid4().hex[:8]}:"
    nodes = [
        make_test_app(tmp_path / name, database_url, ENVIRON={"HUEY_URL": TEST_HUEY_URL}, CACHE_KEY_PREFIX=prefix)
        for name in ("node-a", "node-b")
    ]
    assert all(node.config["CACHE_TYPE"] == "RedisCache" for node in nodes)
    renders = _count_renders(monkeypatch)
    for node in nodes:
        with node.app_context():
            assert "Regular" in node.test_client().get(_url(event)).get_data(as_text=True)
    assert len(renders) == 1
