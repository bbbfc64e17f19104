"""Crafted requests answer a clear 4xx and change nothing, on SQLite and on PostgreSQL: a wrong
method on any route, a NUL character anywhere in a request, an id no row can have, an upload
larger than the site accepts."""

from __future__ import annotations

import io

import pytest
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.routing import IntegerConverter

from tests.conftest import make_test_app
from tests.factories.accounts import make_member, make_org
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_registrant
from tests.orders.helpers import form, register_url
from webapp.accounts.models import User
from webapp.contacts.models import Contact
from webapp.db import db
from webapp.orders.models import Order

METHODS = ("DELETE", "PUT", "PATCH", "POST", "GET")


def _url_with_a_wrong_method(app, rule) -> tuple[str, str] | None:
    """A URL of `rule` and a method it does not take; None when another route takes that URL and
    method (then the request is not a wrong one)."""
    method = next(m for m in METHODS if m not in rule.methods)
    args = {name: 1 if isinstance(rule._converters[name], IntegerConverter) else "x" for name in rule.arguments}
    adapter = app.url_map.bind("rollcall.test")
    url = adapter.build(rule.endpoint, args)
    try:
        adapter.match(url, method=method)
    except MethodNotAllowed:
        return url, method
    except Exception:
        return None
    return None


def test_every_route_answers_a_wrong_method_with_405_not_500(app, client):
    tried = {"html": 0, "api": 0}
    for rule in app.url_map.iter_rules():
        wrong = _url_with_a_wrong_method(app, rule)
        if wrong is None:
            continue
        url, method = wrong
        response = client.open(url, method=method)
        assert response.status_code == 405, (method, url, response.status_code)
        assert set(response.headers["Allow"].split(", ")) >= rule.methods - {"HEAD", "OPTIONS"}, url
        if url.startswith(("/api/", "/v2/")):
            tried["api"] += 1
            assert response.json["error"]["code"] == "method_not_allowed"
        else:
            tried["html"] += 1
            assert "Request not accepted" in response.get_data(as_text=True)
    assert tried["html"] > 50 and tried["api"] > 20


def test_a_number_in_a_path_beyond_any_id_is_not_found_on_every_route(app, client):
    """`<int:...>` of every route: 2**63 used to reach SQLite's queries ("Python int too large")."""
    adapter = app.url_map.bind("rollcall.test")
    tried = 0
    for rule in app.url_map.iter_rules():
        ints = [name for name in rule.arguments if isinstance(rule._converters[name], IntegerConverter)]
        if not ints:
            continue
        url = adapter.build(rule.endpoint, {name: 2**63 if name in ints else "x" for name in rule.arguments})
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        response = client.open(url, method=method)
        assert response.status_code == 404, (method, url, response.status_code)
        if url.startswith("/api/"):
            assert response.json["error"]["code"] == "not_found"
        tried += 1
    assert tried > 150


@pytest.mark.parametrize("path", ["/o/%00", "/tickets/%00.pdf", "/e/%00/x", "/e/x/%00/register", "/w/%00"])
def test_nul_in_a_public_path_answers_400_not_500(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)


def test_nul_in_the_checkout_form_is_refused_and_places_no_order(client):
    event = make_event(make_org())
    ticket = make_product(event)
    response = client.post(register_url(event), data=form({ticket: 1}, buyer_name="Ana\x00Putri"))
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)
    assert Order.select().count() == 0


def test_nul_in_the_sign_up_form_creates_no_account(client):
    users = User.select().count()
    data = {
        "name": "Ana\x00",
        "email": "ana@example.org",
        "password": "correct horse battery",
        "confirm": "correct horse battery",
        "org_name": "Ana's events",
        "timezone": "Asia/Jakarta",
        "currency": "IDR",
    }
    response = client.post("/signup", data=data)
    assert response.status_code == 400
    assert User.select().count() == users


@pytest.mark.parametrize("url", ["/console/contacts?q=%00", "/console/orders?q=a%00b", "/checkin/{event}/search?q=%00"])
def test_nul_in_a_console_search_answers_400(app, auth, url):
    org = make_org()
    event = make_event(org)
    client = auth.client_for(make_member(org, "owner"), org)
    response = client.get(url.format(event=event.id))
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)


def test_nul_in_an_api_query_is_a_json_400(client):
    response = client.get("/api/v1/events?cursor=%00")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


@pytest.mark.parametrize(
    "url",
    [
        "/console/contacts?after={big}",
        "/console/contacts?before={big}",
        "/console/contacts?label={big}",
        "/console/events/{event}/registrants?coupon={big}&label={big}",
        "/console/audit?user={big}&before={big}",
        "/checkin/{event}?list={big}",
    ],
)
def test_an_id_no_row_can_have_in_a_console_list_is_ignored_not_500(app, auth, url):
    org = make_org()
    event = make_event(org)
    client = auth.client_for(make_member(org, "owner"), org)
    response = client.get(url.format(big=10**30, event=event.id))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/console/events/{event}/orders?page={big}",
        "/console/events/{event}/orders?page=-3&q={long}",
        "/console/payments/notifications?page={big}",
        "/console/payments/events/{event}?page={big}",
        "/console/events/{event}/registrants?q={long}",
        "/console/contacts?q={long}",
        "/console/mail?q={long}",
    ],
)
def test_a_page_no_list_has_or_a_search_no_one_types_shows_the_list(app, auth, url):
    """A page number beyond any list is the first page; a search of 100,000 characters is cut to
    what a search box takes (SQLite refuses a LIKE pattern past 50,000 bytes, once a row is there
    to compare)."""
    org = make_org()
    event = make_event(org)
    make_registrant(event, make_product(event))
    client = auth.client_for(make_member(org, "owner"), org)
    response = client.get(url.format(big=10**30, event=event.id, long="x" * 100_000))
    assert response.status_code == 200


def test_an_upload_larger_than_the_site_accepts_gets_a_413_page(database_url, tmp_path):
    app = make_test_app(tmp_path, database_url, ENVIRON={"ROLLCALL_MAX_UPLOAD_MB": "1"})
    with app.app_context():
        db.connect(reuse_if_open=True)
        org = make_org()
        owner = make_member(org, "owner")
        client = app.test_client()
        client.post("/login", data={"email": owner.email, "password": "correct horse battery"})
        upload = {"file": (io.BytesIO(b"email\n" + b"a@example.org\n" * 200_000), "big.csv")}
        response = client.post("/console/contacts/import", data=upload, content_type="multipart/form-data")
        assert response.status_code == 413
        page = response.get_data(as_text=True)
        assert "at most 1 MB" in page and "<html" in page
        assert Contact.select().count() == 0
        db.close()


def _multipart(filename: bytes, fields: dict[str, str] | None = None) -> bytes:
    """A multipart body as a client sends it, the file's name given as raw bytes."""
    parts = [
        f'--B\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in (fields or {}).items()
    ]
    parts.append(
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="'
        + filename
        + b'"\r\nContent-Type: text/csv\r\n\r\nEmail\nana@example.org\n\r\n'
    )
    return b"".join(parts) + b"--B--\r\n"


@pytest.mark.parametrize("filename", [b"caf\xe9.csv", b"\xff\xfe.csv"])
def test_a_file_name_that_is_not_utf8_gets_a_message_that_says_so(app, auth, filename):
    """werkzeug drops the whole form when a part's headers do not read: the import said "Choose a
    CSV file" to a file that was chosen."""
    org = make_org()
    client = auth.client_for(make_member(org, "manager"), org)
    response = client.post(
        "/console/contacts/import", data=_multipart(filename), content_type="multipart/form-data; boundary=B"
    )
    assert response.status_code == 400
    assert "name the file in plain letters" in response.get_data(as_text=True)
    assert Contact.select().count() == 0
    assert client.post(
        "/console/contacts/import", data=_multipart(b"people.csv"), content_type="multipart/form-data; boundary=B"
    ).status_code in (302, 303)


def test_with_csrf_on_an_unreadable_upload_is_not_called_a_missing_token(csrf_app):
    response = csrf_app.test_client().post(
        "/login",
        data=_multipart(b"\xff.csv", {"email": "a@example.org"}),
        content_type="multipart/form-data; boundary=B",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "name the file in plain letters" in page and "CSRF token" not in page
